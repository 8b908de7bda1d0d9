// Every @example in the TSDoc of a declaration that src/index.ts exports (the public API) must
// compile as written (against the built package, through its own name). An example is optional: it
// earns its place when it teaches something; that every exported member has a TSDoc summary is
// checked on the API report (check-package.mjs). Examples may use `credential` (a TokenCredential)
// without declaring it; everything else they use they import or declare.
// Re-exports from other packages are checked in those packages.
// Usage (from a package folder): node ../../scripts/check-tsdoc-examples.mjs
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSnippets } from "./compile-snippets.mjs";

// A TokenCredential, typed by shape so that packages without @azure/core-auth compile it too.
const PRELUDE =
  "declare const credential: { getToken(scopes: string | string[], options?: object): " +
  "Promise<{ token: string; expiresOnTimestamp: number } | null> };\n";
const declaresCredential = /\b(?:const|let|var)\s+credential\b|import\s*\{[^}]*\bcredential\b/;

const index = readFileSync("src/index.ts", "utf8");
const missing = [];
const snippets = [];
let checked = 0;
for (const [, names, from] of index.matchAll(/export (?:type )?\{([^}]*)\} from "\.\/([^"]+)\.js";/g)) {
  const text = readFileSync(join("src", `${from}.ts`), "utf8");
  for (const raw of names.split(",")) {
    const name = raw
      .replace(/^\s*type\s+/, "")
      .split(/\s+as\s+/)[0]
      .trim();
    if (!name) continue;
    checked += 1;
    const declaration = new RegExp(
      `^export (?:declare )?(?:async )?(?:abstract )?(function|const|class|interface|type|enum) ${name}\\b`,
      "m",
    ).exec(text);
    if (!declaration) {
      missing.push(`${from}.ts: ${name}`);
      continue;
    }
    const before = text.slice(0, declaration.index).trimEnd();
    const doc = before.endsWith("*/") ? before.slice(before.lastIndexOf("/**")) : "";
    const examples = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1].replace(/^\s*\* ?/gm, ""));
    examples.forEach((code, i) => {
      snippets.push({
        name: `${snippets.length + 1}-${from}-${name}-${i + 1}`,
        code: `${declaresCredential.test(code) ? "" : PRELUDE}${code}\nexport {};\n`,
      });
    });
  }
}
if (missing.length > 0) {
  console.error(`Public exports whose declaration was not found:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`${checked} public exports checked for TSDoc examples`);
compileSnippets(".tsdoc-examples", snippets, "TSDoc examples");
