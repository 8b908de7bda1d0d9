/** BENCHMARKS.md: the latest table with the command, the date and the machine. */
import { CONTENDER_DESCRIPTIONS, CONTENDERS } from "./contenders.js";
import type { MachineInfo } from "./machine.js";
import { markdownTable, verdicts } from "./report.js";
import type { ScenarioResult } from "./results.js";

export interface BenchmarkRun {
  command: string;
  mode: string;
  date: string;
  durationMs: number;
  machine: MachineInfo;
  results: ScenarioResult[];
}

export function benchmarksMarkdown(run: BenchmarkRun): string {
  const v = verdicts(run.results);
  const lines: string[] = [
    "# Benchmarks",
    "",
    "Written by `bench/` (do not edit by hand): static password vs Microsoft's `@azure/postgresql-auth@1.0.0-beta.1`",
    "vs ours (`@azure/postgresql-auth-pg`), against one local emulator (`@azure/postgresql-auth-emulator`: real",
    "PostgreSQL behind a TLS front that checks tokens, managed identity endpoint, stand-in `az`). Every contender's",
    "scenario runs in a fresh child Node process with the emulator's environment; TLS is verified against the",
    "emulator's CA. Token counts are read from the emulator's counters.",
    "",
    `- Command: \`${run.command}\` (${run.mode} mode), took ${(run.durationMs / 1000).toFixed(1)} s`,
    `- Date: ${run.date}`,
    `- Machine: ${run.machine.cpuModel}, ${run.machine.cores} cores, ${run.machine.totalMemoryGiB} GiB RAM, ${run.machine.platform}, Node ${run.machine.node}`,
    `- Targets (for ours): ${v.pass} PASS, ${v.miss.length} MISS`,
    "",
    "Contenders:",
    "",
    ...CONTENDERS.map((c) => `- **${c}**: ${CONTENDER_DESCRIPTIONS[c]}`),
    "",
    markdownTable(run.results),
    "",
    "## What was run",
    "",
  ];
  for (const s of run.results) {
    lines.push(`- **${s.title}** (${(s.durationMs / 1000).toFixed(1)} s): ${s.ran}`);
    for (const note of s.notes) lines.push(`  - ${note}`);
  }
  lines.push(
    "",
    "Ratios are ours ÷ static and ours ÷ microsoft (below 1× = ours smaller). \"—\" = not applicable",
    "(e.g. the static password makes no token request). The machine is shared and noisy: time figures",
    "move by several percent between runs; counts do not.",
    "",
  );
  return lines.join("\n");
}
