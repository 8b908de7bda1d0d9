import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What every adapter re-exports from `@azure/postgresql-auth-core`, exactly: the error, its codes,
 * the TLS and token-cache option types, the token event and the SSL mode. Sorted.
 */
export const adapterCoreReexports: readonly string[] = [
  "EntraAuthError",
  "EntraAuthErrorCode",
  "EntraTlsOptions",
  "EntraTokenCacheOptions",
  "EntraTokenEvent",
  "SslMode",
];

/**
 * The names a package re-exports unchanged from another package, read from its API report
 * (`review/*.api.md`, where api-extractor writes them as `export { Name }`), sorted.
 *
 * @param packageDir - the package's folder
 */
export function apiReportReexports(packageDir: string): string[] {
  const reviewDir = join(packageDir, "review");
  const names: string[] = [];
  for (const file of readdirSync(reviewDir).filter((name) => name.endsWith(".api.md"))) {
    for (const match of readFileSync(join(reviewDir, file), "utf8").matchAll(/^export \{ (\w+) \}$/gm)) {
      names.push(match[1] as string);
    }
  }
  return names.sort();
}
