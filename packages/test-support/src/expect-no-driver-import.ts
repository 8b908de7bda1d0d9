import { readdirSync, readFileSync } from "node:fs";
import { expect } from "vitest";

/**
 * Asserts that an adapter's built files (ESM and CJS) import only `@azure/postgresql-auth-core`
 * (and its subpaths) and Node's own modules at run time: the driver is an optional peer typed by its shape, never
 * imported. Comments are left out (TSDoc examples import drivers). `packageDir` is the package's
 * folder, e.g. `new URL("..", import.meta.url)` from its `test/` folder.
 */
export function expectNoDriverImport(packageDir: URL): void {
  for (const format of ["esm", "cjs"]) {
    const folder = new URL(`dist/${format}/`, packageDir);
    const files = readdirSync(folder).filter((f) => f.endsWith(".js"));
    expect(files.length, `${format} build`).toBeGreaterThan(0);
    for (const file of files) {
      const code = readFileSync(new URL(file, folder), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      const specifiers = [...code.matchAll(/(?:from\s+|require\(|import\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
      const external = specifiers.filter((s) => !s.startsWith(".") && !s.startsWith("node:"));
      expect(
        external.filter((s) => !/^@azure\/postgresql-auth-core(?:\/|$)/.test(s)),
        `${format}/${file}`,
      ).toEqual([]);
    }
  }
}
