// Type-checks the ```ts code blocks of README files, as they are written, against the packages
// installed in the current package folder. Usage (from a package folder):
//   node ../../scripts/check-readme-snippets.mjs README.md [../../README.md ...]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";

const readmes = process.argv.slice(2);
if (readmes.length === 0) {
  console.error("usage: check-readme-snippets.mjs README.md [...]");
  process.exit(2);
}
const folder = resolve(".readme-snippets");
rmSync(folder, { recursive: true, force: true });
mkdirSync(folder);
let count = 0;
for (const readme of readmes) {
  const text = readFileSync(readme, "utf8");
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const stem = `${basename(dirname(resolve(readme)))}-${basename(readme, ".md")}`;
  blocks.forEach((code, i) => writeFileSync(join(folder, `${stem}-${i + 1}.ts`), code));
  count += blocks.length;
}
writeFileSync(
  join(folder, "tsconfig.json"),
  JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noEmit: true, noUnusedLocals: false }, include: ["*.ts"] }),
);
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(folder, "tsconfig.json")], { stdio: "inherit" });
} catch {
  console.error(`README snippets do not compile (files kept in ${folder})`);
  process.exit(1);
}
rmSync(folder, { recursive: true, force: true });
console.log(`${count} README snippets compile`);
