/**
 * Order of contenders in repeated rounds: forward in even rounds, reversed in odd ones, so slow
 * drift of a shared machine does not favour whoever runs first.
 */
import type { ContenderName } from "./contenders.js";

export function contenderOrder(round: number, contenders: readonly ContenderName[]): readonly ContenderName[] {
  return round % 2 === 0 ? contenders : [...contenders].reverse();
}
