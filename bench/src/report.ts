/**
 * The report: one line per metric with the three contenders, the ratios ours/static and
 * ours/microsoft, and the verdict against the target for ours, rendered as aligned text (stdout)
 * and as BENCHMARKS.md, with the machine it ran on.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { CONTENDER_DESCRIPTIONS, CONTENDERS } from "./contenders.js";
import type { Figure, ResultRow, ScenarioResult } from "./scenario.js";

export const HEADER = [
  "scenario",
  "metric",
  "static",
  "microsoft",
  "ours",
  "ours/static",
  "ours/microsoft",
  "target (ours)",
  "result",
];

export function formatFigure(value: Figure, unit: string): string {
  if (value === null || Number.isNaN(value)) return "—";
  if (unit === "count") return String(Math.round(value));
  if (unit === "ns") return Math.round(value).toLocaleString("en-US");
  if (unit === "MiB") return value.toFixed(1);
  const abs = Math.abs(value);
  return abs < 10 ? value.toFixed(2) : abs < 1000 ? value.toFixed(1) : Math.round(value).toLocaleString("en-US");
}

export function ratio(ours: Figure, other: Figure): string {
  if (ours === null || other === null || Number.isNaN(ours) || Number.isNaN(other) || other === 0) return "—";
  return `${(ours / other).toFixed(2)}×`;
}

function rowCells(scenario: ScenarioResult, r: ResultRow, first: boolean): string[] {
  const { values, unit } = r;
  const withRatios = r.ratios !== false;
  return [
    first ? scenario.title : "",
    `${r.metric} (${unit})`,
    formatFigure(values.static, unit),
    formatFigure(values.microsoft, unit),
    formatFigure(values.ours, unit),
    withRatios ? ratio(values.ours, values.static) : "—",
    withRatios ? ratio(values.ours, values.microsoft) : "—",
    r.target?.text ?? "",
    r.target ? (r.target.pass ? "PASS" : "MISS") : "",
  ];
}

export function tableCells(results: readonly ScenarioResult[]): string[][] {
  return results.flatMap((s) => s.rows.map((r, i) => rowCells(s, r, i === 0)));
}

export function textTable(results: readonly ScenarioResult[]): string {
  const rows = [HEADER, ...tableCells(results)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(HEADER), rule, ...rows.slice(1).map(line)].join("\n");
}

export function markdownTable(results: readonly ScenarioResult[]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, "\\|");
  const rows = tableCells(results).map((r) => `| ${r.map(escapeCell).join(" | ")} |`);
  return [
    `| ${HEADER.join(" | ")} |`,
    `|${HEADER.map((_, i) => (i < 2 || i >= 7 ? "---" : "---:")).join("|")}|`,
    ...rows,
  ].join("\n");
}

export interface Verdicts {
  pass: number;
  miss: Array<{ scenario: string; metric: string; target: string }>;
}

export function verdicts(results: readonly ScenarioResult[]): Verdicts {
  const out: Verdicts = { pass: 0, miss: [] };
  for (const s of results) {
    for (const r of s.rows) {
      if (!r.target) continue;
      if (r.target.pass) out.pass += 1;
      else out.miss.push({ scenario: s.title, metric: r.metric, target: r.target.text });
    }
  }
  return out;
}

/** BENCHMARKS.md: the latest table with the command, the date and the machine. */

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
    'Ratios are ours ÷ static and ours ÷ microsoft (below 1× = ours smaller). "—" = not applicable',
    "(e.g. the static password makes no token request). The machine is shared and noisy: time figures",
    "move by several percent between runs; counts do not.",
    "",
  );
  return lines.join("\n");
}

/** What machine the benchmark ran on. */

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  totalMemoryGiB: number;
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":").slice(1).join(":").trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown";
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}
