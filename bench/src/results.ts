/** The shape of the benchmark's figures (printed, and written to bench-results.json). */
import type { ContenderName } from "./contenders.js";

/** A figure, or null where it does not apply (printed as "—"). */
export type Figure = number | null;

export interface TargetVerdict {
  /** The target for ours, in words. */
  text: string;
  pass: boolean;
}

export interface ResultRow {
  metric: string;
  unit: string;
  values: Record<ContenderName, Figure>;
  /** Whether ratios ours/static and ours/microsoft mean anything for this row. Default true. */
  ratios?: boolean;
  target?: TargetVerdict;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** What exactly was run (sizes, windows, lifetimes, modes). */
  ran: string;
  rows: ResultRow[];
  notes: string[];
  durationMs: number;
}

export function row(metric: string, unit: string, values: Record<ContenderName, Figure>, extra: Partial<ResultRow> = {}): ResultRow {
  return { metric, unit, values, ...extra };
}
