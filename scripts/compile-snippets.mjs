// Type-checks code snippets (from README files or TSDoc examples) as they are written, against the
// packages installed in the current package folder, with the package's own tsconfig.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

/**
 * Writes each snippet to `folder/<name>.ts`, compiles them all with tsc and exits the process
 * with status 1 (keeping the files for a look) when they do not compile.
 * @param {string} folderName e.g. ".readme-snippets"
 * @param {Array<{ name: string, code: string }>} snippets
 * @param {string} what e.g. "README snippets"
 */
export function compileSnippets(folderName, snippets, what) {
  const folder = resolve(folderName);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  for (const { name, code } of snippets) writeFileSync(join(folder, `${name}.ts`), code);
  writeFileSync(
    join(folder, "tsconfig.json"),
    JSON.stringify({
      extends: "../tsconfig.json",
      compilerOptions: { noEmit: true, noUnusedLocals: false },
      include: ["*.ts"],
    }),
  );
  const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
  if (snippets.length > 0) {
    try {
      execFileSync(process.execPath, [tsc, "-p", join(folder, "tsconfig.json")], { stdio: "inherit" });
    } catch {
      console.error(`${what} do not compile (files kept in ${folder})`);
      process.exit(1);
    }
  }
  rmSync(folder, { recursive: true, force: true });
  console.log(`${snippets.length} ${what} compile`);
}
