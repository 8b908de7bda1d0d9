// Sums up the vitest JSON results of every workspace package after `pnpm test`, and prints
// one closing line "N passed, N failed" (plus skipped, if any).
// `--reset` removes earlier results first, so only this run is counted.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const folders = ["packages", "examples"].flatMap((group) =>
  existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : [],
);
folders.push(join(root, "bench"));
const resultDirs = folders.map((folder) => join(folder, ".test-results")).filter((dir) => existsSync(dir));

if (process.argv.includes("--reset")) {
  for (const dir of resultDirs) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let files = 0;
for (const dir of resultDirs) {
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".json"))) {
    const result = JSON.parse(readFileSync(join(dir, file), "utf8"));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
    skipped += result.numPendingTests + (result.numTodoTests ?? 0);
    files += 1;
  }
}
if (files === 0) {
  console.error("test-summary: no test results found");
  process.exit(1);
}
console.log(`\n${files} test runs`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);
