/** What a scenario is: a parent part (set up the emulator, run children, read counters) and a child part. */
import type { Emulator } from "@azure/postgresql-auth-emulator";
import type { ChildRequest } from "./child-protocol.js";
import type { ContenderName } from "./contenders.js";
import type { ScenarioResult } from "./results.js";
import type { RunMode } from "./run-mode.js";

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
