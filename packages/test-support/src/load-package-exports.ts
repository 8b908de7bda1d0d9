// Loads a package by name in a fresh Node process, once through `import` and once through
// `require`, and returns the sorted export names each way. Run from the package's own folder so
// the name resolves through its package.json `exports` (self-reference), as users would load it.
import { execFileSync } from "node:child_process";

export function loadPackageExports(packageName: string, cwd: string): { esm: string[]; cjs: string[] } {
  const run = (args: string[]) =>
    JSON.parse(execFileSync(process.execPath, args, { cwd, encoding: "utf8" })) as string[];
  const name = JSON.stringify(packageName);
  return {
    esm: run([
      "--input-type=module",
      "-e",
      `const m = await import(${name}); console.log(JSON.stringify(Object.keys(m).sort()))`,
    ]),
    cjs: run([
      "-e",
      `console.log(JSON.stringify(Object.keys(require(${name})).filter((k) => k !== "__esModule").sort()))`,
    ]),
  };
}
