/**
 * Turns the figures into a table: one line per metric with the three contenders, the ratios
 * ours/static and ours/microsoft, and the verdict against the target for ours. Rendered as
 * aligned text (stdout) and as Markdown (BENCHMARKS.md).
 */
import type { Figure, ResultRow, ScenarioResult } from "./results.js";

export const HEADER = ["scenario", "metric", "static", "microsoft", "ours", "ours/static", "ours/microsoft", "target (ours)", "result"];

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
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(HEADER), rule, ...rows.slice(1).map(line)].join("\n");
}

export function markdownTable(results: readonly ScenarioResult[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const rows = tableCells(results).map((r) => `| ${r.map(escape).join(" | ")} |`);
  return [`| ${HEADER.join(" | ")} |`, `|${HEADER.map((_, i) => (i < 2 || i >= 7 ? "---" : "---:")).join("|")}|`, ...rows].join("\n");
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
