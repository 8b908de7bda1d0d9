import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * What every adapter re-exports from `@azure/postgresql-auth-core`, exactly: the error, its codes,
 * the TLS and token-cache option types, the token event and the SSL mode. Sorted. Core lists them
 * once, at its subpath `@azure/postgresql-auth-core/adapter-exports`, which each adapter re-exports.
 */
export const adapterCoreReexports: readonly string[] = [
  "EntraAuthError",
  "EntraAuthErrorCode",
  "EntraTlsOptions",
  "EntraTokenCacheOptions",
  "EntraTokenEvent",
  "SslMode",
];

const declaration = /^export (?:declare )?(?:abstract )?(?:class|const|function|interface|type|enum|namespace) (\w+)/gm;

/**
 * The API report of one entry point of a package installed beside `fromDir`'s package:
 * `review/<unscoped name>.api.md` for the main entry, `review/<unscoped name>-<subpath>.api.md`
 * for a subpath (the `reportFileName` of its own api-extractor config).
 */
function entryPointReport(fromDir: string, specifier: string): string {
  const [, name, subpath] = /^((?:@[^/]+\/)?[^/]+)(?:\/(.+))?$/.exec(specifier) ?? [];
  if (name === undefined) throw new Error(`not a package specifier: ${specifier}`);
  const packageDir = dirname(createRequire(join(fromDir, "package.json")).resolve(`${name}/package.json`));
  const unscoped = name.replace(/^@[^/]+\//, "");
  const file = join(packageDir, "review", `${unscoped}${subpath ? `-${subpath.replaceAll("/", "-")}` : ""}.api.md`);
  if (!existsSync(file)) {
    throw new Error(`${specifier} has no API report (${file}): give that entry point an api-extractor config`);
  }
  return readFileSync(file, "utf8");
}

/** The names one API report exports: its declarations, its re-exports, and what it star-exports. */
function reportNames(report: string, packageDir: string, declarations: boolean): string[] {
  const names = [...report.matchAll(/^export \{ (\w+) \}$/gm)].map((match) => match[1] as string);
  if (declarations) names.push(...[...report.matchAll(declaration)].map((match) => match[1] as string));
  for (const [, specifier] of report.matchAll(/^export \* from "([^"]+)";$/gm)) {
    names.push(...reportNames(entryPointReport(packageDir, specifier as string), packageDir, true));
  }
  return names;
}

/**
 * The names a package re-exports unchanged from another package, read from its API report
 * (`review/*.api.md`): api-extractor writes a named re-export as `export { Name }`, and a star
 * re-export (`export * from "@azure/postgresql-auth-core/adapter-exports"`) as that one line, whose
 * names are read from the API report of that entry point in turn. Sorted.
 *
 * @param packageDir - the package's folder
 */
export function apiReportReexports(packageDir: string): string[] {
  const reviewDir = join(packageDir, "review");
  const names: string[] = [];
  for (const file of readdirSync(reviewDir).filter((name) => name.endsWith(".api.md"))) {
    names.push(...reportNames(readFileSync(join(reviewDir, file), "utf8"), packageDir, false));
  }
  return names.sort();
}
