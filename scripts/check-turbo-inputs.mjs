// turbo.json's root inputs must match the files: every `$TURBO_ROOT$/…` input exists, and every
// root script a cached task runs (named in a package's script, or imported by such a script) is an
// input of that task, so that editing it reruns the task instead of replaying a stale cached result.
// Usage: node scripts/check-turbo-inputs.mjs (pnpm test runs it).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const turbo = JSON.parse(readFileSync(join(root, "turbo.json"), "utf8"));
const problems = [];

/** The root scripts a script file imports, followed through their own imports. */
function withImports(script, seen = new Set()) {
  if (seen.has(script)) return seen;
  seen.add(script);
  const text = readFileSync(join(root, script), "utf8");
  for (const [, spec] of text.matchAll(/from\s+"(\.\/[^"]+\.mjs)"/g)) {
    withImports(join(dirname(script), spec), seen);
  }
  return seen;
}

const packageFolders = ["packages", "examples"]
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(group, name)))
  .concat("bench")
  .filter((folder) => existsSync(join(root, folder, "package.json")));

for (const [task, config] of Object.entries(turbo.tasks)) {
  const rootInputs = new Set(
    (config.inputs ?? []).filter((input) => input.startsWith("$TURBO_ROOT$/")).map((input) => input.slice(13)),
  );
  for (const input of rootInputs) {
    if (!existsSync(join(root, input))) problems.push(`${task}: input ${input} does not exist`);
  }
  if (config.cache === false) continue;
  for (const folder of packageFolders) {
    const command = JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8")).scripts?.[task];
    if (!command) continue;
    for (const [, script] of command.matchAll(/(?:\.\.\/)+(scripts\/[\w.-]+\.mjs)/g)) {
      for (const needed of withImports(script)) {
        if (!rootInputs.has(needed)) problems.push(`${task}: ${folder} runs ${needed}, which is not an input`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`turbo.json inputs do not match the files:\n  ${[...new Set(problems)].join("\n  ")}`);
  process.exit(1);
}
console.log("turbo.json: every root input exists and every root script a cached task runs is an input");
