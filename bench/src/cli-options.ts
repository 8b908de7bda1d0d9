/** Command line of run.js. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunMode } from "./run-mode.js";

export interface CliOptions {
  mode: RunMode;
  /** Scenario ids to run (default all). */
  scenarios: string[] | undefined;
  /** Where bench-results.json and BENCHMARKS.md go (default: the repository root). */
  outDir: string;
}

const USAGE = `usage: node bench/dist/run.js [--quick | --smoke] [--scenarios id,id] [--out-dir DIR]
  --quick       smaller sizes, short-lived window 30 s (< 2 min in all)
  --smoke       tiny sizes (seconds): for the harness test
  --scenarios   comma-separated scenario ids (storm, storm-throttled, slow-developer-credential, churn, short-lived-tokens, provider-call, postgres-js-storm, mikro-orm-refill)
  --out-dir     folder for bench-results.json and BENCHMARKS.md (default: the repository root)`;

export function parseCliOptions(argv: readonly string[]): CliOptions {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const options: CliOptions = { mode: "full", scenarios: undefined, outDir: repoRoot };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === "--quick") options.mode = "quick";
    else if (arg === "--smoke") options.mode = "smoke";
    else if (arg === "--full") options.mode = "full";
    else if (arg === "--scenarios") options.scenarios = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (arg === "--out-dir") options.outDir = resolve(value());
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}
