// Type-checks the ```ts code blocks of README files, as they are written, against the packages
// installed in the current package folder. Usage (from a package folder):
//   node ../../scripts/check-readme-snippets.mjs README.md [../../README.md ...]
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { compileSnippets } from "./compile-snippets.mjs";

const readmes = process.argv.slice(2);
if (readmes.length === 0) {
  console.error("usage: check-readme-snippets.mjs README.md [...]");
  process.exit(2);
}
const snippets = readmes.flatMap((readme) => {
  const text = readFileSync(readme, "utf8");
  const stem = `${basename(dirname(resolve(readme)))}-${basename(readme, ".md")}`;
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({ name: `${stem}-${i + 1}`, code: m[1] }));
});
compileSnippets(".readme-snippets", snippets, "README snippets");
