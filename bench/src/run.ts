/**
 * Benchmark entry (`pnpm bench [--quick]`): starts one emulator, runs every scenario for the three
 * contenders in child processes, prints the table, writes bench-results.json and BENCHMARKS.md.
 * Exit code 0 even when a target is missed (it is a measurement); 1 when the benchmark breaks.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, type Emulator } from "@azure/postgresql-auth-emulator";
import { benchmarksMarkdown, type BenchmarkRun } from "./benchmarks-markdown.js";
import { childEnv } from "./child-env.js";
import { runChild } from "./child-runner.js";
import { parseCliOptions } from "./cli-options.js";
import { CONTENDER_DESCRIPTIONS } from "./contenders.js";
import { machineInfo } from "./machine.js";
import { textTable, verdicts } from "./report.js";
import type { ScenarioResult } from "./results.js";
import { SCENARIOS } from "./scenario-registry.js";
import type { ScenarioContext } from "./scenario.js";

const DEFAULT_CHILD_TIMEOUT_MS = 120_000;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<number> {
  const options = parseCliOptions(process.argv.slice(2));
  const selected = options.scenarios ? SCENARIOS.filter((s) => options.scenarios!.includes(s.id)) : SCENARIOS;
  const unknown = options.scenarios?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(", ")}`);
  const command = options.mode === "full" ? "pnpm bench" : options.mode === "quick" ? "pnpm bench --quick" : "node bench/dist/run.js --smoke";
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
      runChild: (request, extraEnv = {}, timeoutMs = DEFAULT_CHILD_TIMEOUT_MS) => runChild(request, childEnv(live.env, extraEnv), timeoutMs),
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
  console.log(`\nBenchmark (${options.mode}): ${run.machine.cpuModel}, ${run.machine.cores} cores, Node ${run.machine.node}\n`);
  console.log(textTable(results));
  console.log("");
  for (const s of results) {
    console.log(`* ${s.title}: ${s.ran}`);
    for (const note of s.notes) console.log(`    - ${note}`);
  }
  console.log(`\nTargets for ours: ${v.pass} PASS, ${v.miss.length} MISS${v.miss.map((m) => `\n  MISS ${m.scenario} / ${m.metric}: ${m.target}`).join("")}`);
  console.log(`Took ${(run.durationMs / 1000).toFixed(1)} s.`);

  const json = { ...run, contenders: CONTENDER_DESCRIPTIONS, verdicts: v };
  writeFileSync(join(options.outDir, "bench-results.json"), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(options.outDir, "BENCHMARKS.md"), benchmarksMarkdown(run));
  log(`wrote ${join(options.outDir, "bench-results.json")} and ${join(options.outDir, "BENCHMARKS.md")}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench] the benchmark broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
