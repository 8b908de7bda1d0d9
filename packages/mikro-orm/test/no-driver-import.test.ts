import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The driver is an optional peer typed by shape: the built package may import only core and Node.
describe("built package", () => {
  it("imports no database driver at run time", () => {
    for (const format of ["esm", "cjs"]) {
      const folder = new URL(`../dist/${format}/`, import.meta.url);
      const files = readdirSync(folder).filter((f) => f.endsWith(".js"));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const code = readFileSync(new URL(file, folder), "utf8").replace(/\/\*[\s\S]*?\*\//g, ""); // TSDoc examples import drivers
        const specifiers = [...code.matchAll(/(?:from\s+|require\(|import\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
        const external = specifiers.filter((s) => !s.startsWith("."));
        expect(
          external.filter((s) => s !== "@azure/postgresql-auth-core" && !s.startsWith("node:")),
          `${format}/${file}`,
        ).toEqual([]);
      }
    }
  });
});
