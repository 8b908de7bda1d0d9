/**
 * Benchmark entry (`pnpm bench [--quick]`): starts one emulator, runs every scenario for the three
 * contenders in child processes, prints the table, writes bench-results.json and BENCHMARKS.md.
 * Exit code 0 even when a target is missed (it is a measurement); 1 when the benchmark breaks.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { childEnv, runChild } from "./child-process.js";
import { CONTENDER_DESCRIPTIONS } from "./contenders.js";
import { type BenchmarkRun, benchmarksMarkdown, machineInfo, textTable, verdicts } from "./report.js";
import type { RunMode, ScenarioContext, ScenarioResult } from "./scenario.js";
import { SCENARIOS } from "./scenarios/index.js";

const DEFAULT_CHILD_TIMEOUT_MS = 120_000;

/** Command line of run.js. */
export interface CliOptions {
  mode: RunMode;
  /** Scenario ids to run (default all). */
  scenarios: string[] | undefined;
  /** Where bench-results.json and BENCHMARKS.md go (default: the repository root). */
  outDir: string;
}

const USAGE = `usage: node bench/dist/run.js [--quick | --smoke] [--scenarios id,id] [--out-dir DIR]
  --quick       smaller sizes, short-lived window 30 s (about 2½ minutes on 2 cores)
  --smoke       tiny sizes (seconds): for the harness test
  --scenarios   comma-separated scenario ids (${SCENARIOS.map((s) => s.id).join(", ")})
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
    else if (arg === "--scenarios")
      options.scenarios = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (arg === "--out-dir") options.outDir = resolve(value());
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<number> {
  const options = parseCliOptions(process.argv.slice(2));
  const selected = options.scenarios ? SCENARIOS.filter((s) => options.scenarios!.includes(s.id)) : SCENARIOS;
  const unknown = options.scenarios?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(", ")}`);
  const command =
    options.mode === "full"
      ? "pnpm bench"
      : options.mode === "quick"
        ? "pnpm bench --quick"
        : "node bench/dist/run.js --smoke";
  const started = Date.now();
  log(`mode ${options.mode}; starting the emulator`);

  let emu: Emulator | undefined;
  const stop = () => {
    void emu?.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  const results: ScenarioResult[] = [];
  try {
    emu = await startEmulator();
    const live = emu;
    const ctx: ScenarioContext = {
      emu: live,
      mode: options.mode,
      runChild: (request, extraEnv = {}, timeoutMs = DEFAULT_CHILD_TIMEOUT_MS) =>
        runChild(request, childEnv(live.env, extraEnv), timeoutMs),
      log,
    };
    log(`emulator up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const scenario of selected) {
      const t = Date.now();
      log(`scenario ${scenario.id}`);
      const result = await scenario.parent(ctx);
      results.push({ ...result, durationMs: Date.now() - t });
    }
  } finally {
    await emu?.stop();
  }

  const run: BenchmarkRun = {
    command,
    mode: options.mode,
    date: new Date().toISOString(),
    durationMs: Date.now() - started,
    machine: machineInfo(),
    results,
  };
  const v = verdicts(results);
  console.log(
    `\nBenchmark (${options.mode}): ${run.machine.cpuModel}, ${run.machine.cores} cores, Node ${run.machine.node}\n`,
  );
  console.log(textTable(results));
  console.log("");
  for (const s of results) {
    console.log(`* ${s.title}: ${s.ran}`);
    for (const note of s.notes) console.log(`    - ${note}`);
  }
  console.log(
    `\nTargets for ours: ${v.pass} PASS, ${v.miss.length} MISS${v.miss.map((m) => `\n  MISS ${m.scenario} / ${m.metric}: ${m.target}`).join("")}`,
  );
  console.log(`Took ${(run.durationMs / 1000).toFixed(1)} s.`);

  const json = { ...run, contenders: CONTENDER_DESCRIPTIONS, verdicts: v };
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, "bench-results.json"), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(options.outDir, "BENCHMARKS.md"), benchmarksMarkdown(run));
  log(`wrote ${join(options.outDir, "bench-results.json")} and ${join(options.outDir, "BENCHMARKS.md")}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `[bench] the benchmark broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
