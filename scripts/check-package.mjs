// Checks a package as it will be published, from its folder (after its build):
//   1. every TSDoc example of its public exports compiles (check-tsdoc-examples.mjs);
//   2. the package is packed once, with pnpm (what `changeset publish` publishes: `workspace:`
//      ranges replaced), into .pack/<name>.tgz;
//   3. the packed package.json is release-ready: ranges for runtime dependencies, licence,
//      repository, homepage, bugs; LICENSE packed (package-manifest-problems.mjs);
//   4. every published .js file ships its source map, with its sources;
//   5. the API report matches (api-extractor), and lists no undocumented member and no analysis
//      warning (api-report-problems.mjs): every exported member has a TSDoc summary; a package with
//      a public subpath export has one api-extractor config per entry point (api-extractor.json for
//      the main one, api-extractor.<subpath>.json for each other), each checked the same way;
//   6. publint --strict and attw run on that same tarball.
// Packing once (npm pack ran three times before: here, in publint and in attw) keeps the check
// light enough to run beside the tests on a 2-core machine. packages/release-check installs the
// tarballs from .pack/ into a fresh npm project.
// Usage: node ../../scripts/check-package.mjs [--attw-profile esm-only]
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { apiReportFailure } from "./api-report-problems.mjs";
import { packageManifestProblems } from "./package-manifest-problems.mjs";

const scripts = new URL(".", import.meta.url).pathname;
const root = resolve(scripts, "..");

const profileAt = process.argv.indexOf("--attw-profile");
const attwProfile = profileAt === -1 ? [] : ["--profile", process.argv[profileAt + 1]];

/** Runs a step with its output shown; a failing step ends the check with its exit status. */
function step(command, args) {
  try {
    execFileSync(command, args, { stdio: "inherit" });
  } catch (error) {
    console.error(`check-package: \`${[command, ...args].join(" ")}\` failed`);
    process.exit(typeof error.status === "number" && error.status !== 0 ? error.status : 1);
  }
}

step(process.execPath, [join(scripts, "check-tsdoc-examples.mjs")]);

const packDir = resolve(".pack");
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir);
const packed = JSON.parse(
  execFileSync("pnpm", ["pack", "--json", "--pack-destination", packDir], { encoding: "utf8" }),
);
const tarball = packed.filename;

const published = new Set(packed.files.map((file) => file.path));
const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
const manifestProblems = packageManifestProblems(manifest, {
  folder: relative(root, process.cwd()),
  root: JSON.parse(readFileSync(join(root, "package.json"), "utf8")),
  files: [...published],
});
if (manifestProblems.length > 0) {
  console.error(`The packed package.json is not release-ready:\n  ${manifestProblems.join("\n  ")}`);
  process.exit(1);
}
console.log("package.json as packed: ranges for runtime dependencies, licence, repository, homepage, bugs");
const problems = [];
let maps = 0;
for (const path of published) {
  if (!path.endsWith(".js")) continue;
  const mapPath = `${path}.map`;
  if (!published.has(mapPath)) {
    problems.push(`${path}: its source map ${mapPath} is not published`);
    continue;
  }
  const map = JSON.parse(readFileSync(mapPath, "utf8"));
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.length !== map.sources.length) {
    problems.push(`${mapPath}: no sourcesContent (set inlineSources in tsconfig.base.json)`);
  }
  maps += 1;
}
if (problems.length > 0) {
  console.error(`Source map problems:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`${maps} published .js files ship a source map with their sources`);

for (const config of readdirSync(".").filter((file) => /^api-extractor(?:\.[\w-]+)?\.json$/.test(file))) {
  step("api-extractor", ["run", "--config", config]);
}
const reportFolder = resolve("review");
const reports = readdirSync(reportFolder).filter((file) => file.endsWith(".api.md"));
const failure = apiReportFailure(reports.map((file) => readFileSync(join(reportFolder, file), "utf8")).join("\n"));
if (failure !== undefined) {
  console.error(failure);
  process.exit(1);
}
console.log("API report: every exported member has a TSDoc summary, no analysis warning");
step("publint", ["run", tarball, "--strict"]);
step("attw", [tarball, "--quiet", ...attwProfile]);
console.log(`checked ${packed.name} as packed: ${tarball}`);
