// Every declaration that src/index.ts exports (the public API) must carry TSDoc with an @example.
// Re-exports from other packages are checked in those packages.
// Usage (from a package folder): node ../../scripts/check-tsdoc-examples.mjs
import { readFileSync } from "node:fs";
import { join } from "node:path";

const index = readFileSync("src/index.ts", "utf8");
const missing = [];
let checked = 0;
for (const [, names, from] of index.matchAll(/export (?:type )?\{([^}]*)\} from "\.\/([^"]+)\.js";/g)) {
  const text = readFileSync(join("src", `${from}.ts`), "utf8");
  for (const raw of names.split(",")) {
    const name = raw.replace(/^\s*type\s+/, "").split(/\s+as\s+/)[0].trim();
    if (!name) continue;
    checked += 1;
    const declaration = new RegExp(`^export (?:declare )?(?:async )?(?:abstract )?(?:function|const|class|interface|type|enum) ${name}\\b`, "m").exec(text);
    if (!declaration) {
      missing.push(`${from}.ts: ${name} (declaration not found)`);
      continue;
    }
    const before = text.slice(0, declaration.index).trimEnd();
    const doc = before.endsWith("*/") ? before.slice(before.lastIndexOf("/**")) : "";
    if (!doc.includes("@example")) missing.push(`${from}.ts: ${name}`);
  }
}
if (missing.length > 0) {
  console.error(`Public exports without a TSDoc @example:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`${checked} public exports have a TSDoc example`);
