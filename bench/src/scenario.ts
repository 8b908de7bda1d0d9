/**
 * What a scenario is and what it reports: the run mode, the parent/child parts of a scenario, and
 * the shape of its figures (printed, and written to bench-results.json).
 */
import type { Emulator } from "@azure/postgresql-auth-emulator";
import type { ChildRequest } from "./child-process.js";
import type { ContenderName } from "./contenders.js";

/** How big the run is: full (the real figures), quick (< 2 min), smoke (seconds, for the test). */
export type RunMode = "full" | "quick" | "smoke";

/** Picks the size for the current mode. */
export function bySize<T>(mode: RunMode, sizes: Record<RunMode, T>): T {
  return sizes[mode];
}

/** What a scenario is: a parent part (set up the emulator, run children, read counters) and a child part. */

export interface ScenarioContext {
  emu: Emulator;
  mode: RunMode;
  /** Runs one child process with the emulator's environment plus `extraEnv`. */
  runChild<T>(request: ChildRequest, extraEnv?: Record<string, string>, timeoutMs?: number): Promise<T>;
  log(message: string): void;
}

export interface Scenario {
  id: string;
  title: string;
  /** Runs in the parent: returns the figures. */
  parent(ctx: ScenarioContext): Promise<Omit<ScenarioResult, "durationMs">>;
  /** Runs in a fresh child process for one contender. */
  child(contender: ContenderName, params: unknown): Promise<unknown>;
}

/** The shape of the benchmark's figures (printed, and written to bench-results.json). */

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

export function row(
  metric: string,
  unit: string,
  values: Record<ContenderName, Figure>,
  extra: Partial<ResultRow> = {},
): ResultRow {
  return { metric, unit, values, ...extra };
}
