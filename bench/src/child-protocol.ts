/** What the parent asks a child process to do, and what the child answers over IPC. */
import type { ContenderName } from "./contenders.js";

export const CHILD_REQUEST_ENV = "BENCH_CHILD_REQUEST";

export interface ChildRequest {
  scenario: string;
  contender: ContenderName;
  params: unknown;
}

export type ChildReply = { ok: true; result: unknown } | { ok: false; error: string };
