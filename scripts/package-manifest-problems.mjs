// What a published package.json must say, checked on the manifest as packed (check-package.mjs reads
// it from the tarball, where pnpm has replaced `workspace:` ranges):
//   - runtime dependencies take ranges, never an exact version: an application that installs us
//     beside its own copy of a dependency then shares one copy, and fixes to it reach our users;
//     exact versions belong in devDependencies;
//   - the MIT licence, with the LICENSE file in the tarball;
//   - `repository` (with the package's folder as `directory`), `homepage` and `bugs`, pointing at
//     the repository that the root package.json names.

/** Dependency fields that an installing application resolves (devDependencies are ours alone). */
const RUNTIME_FIELDS = ["dependencies", "optionalDependencies", "peerDependencies"];

/** An exact version: `1.2.3`, `=1.2.3`, `v1.2.3-beta.1`, also behind `npm:name@` or `workspace:`. */
const EXACT = /^(?:npm:(?:@[^/@]+\/)?[^@]+@|workspace:)?[=v]?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * The problems of one published manifest, each naming the field to change; empty when it is release-ready.
 *
 * @param {Record<string, any>} manifest the package.json as packed
 * @param {{ folder: string, root: Record<string, any>, files: string[] }} context the package's folder
 *   relative to the repository root (e.g. `packages/pg`), the root package.json, and the packed file paths
 * @returns {string[]}
 */
export function packageManifestProblems(manifest, { folder, root, files }) {
  const problems = [];
  for (const field of RUNTIME_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (range === "workspace:*" || EXACT.test(String(range))) {
        problems.push(
          `${field}.${name}: "${range}" is an exact version; a runtime dependency takes a caret range ("^1.2.3", or "workspace:^" for a workspace package)`,
        );
      }
    }
  }
  if (manifest.license !== "MIT") problems.push(`license: "${manifest.license}", expected "MIT"`);
  if (!files.includes("LICENSE")) problems.push("LICENSE: not in the tarball (the root LICENSE is packed by pnpm)");
  const web = String(root.repository?.url ?? "")
    .replace(/^git\+/, "")
    .replace(/\.git$/, "");
  if (!web) problems.push("the root package.json names no repository.url");
  if (manifest.repository?.url !== root.repository?.url) {
    problems.push(`repository.url: "${manifest.repository?.url}", expected "${root.repository?.url}" (the root's)`);
  }
  if (manifest.repository?.directory !== folder) {
    problems.push(`repository.directory: "${manifest.repository?.directory}", expected "${folder}"`);
  }
  if (manifest.homepage !== `${web}/tree/main/${folder}#readme`) {
    problems.push(`homepage: "${manifest.homepage}", expected "${web}/tree/main/${folder}#readme"`);
  }
  if (manifest.bugs?.url !== root.bugs?.url) {
    problems.push(`bugs.url: "${manifest.bugs?.url}", expected "${root.bugs?.url}" (the root's)`);
  }
  return problems;
}
