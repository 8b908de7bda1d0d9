// Marks a CommonJS build folder as CommonJS for Node (the package itself is "type": "module").
// Usage: node ../../scripts/write-cjs-package-json.mjs dist/cjs
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: write-cjs-package-json.mjs <folder>");
  process.exit(2);
}
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
