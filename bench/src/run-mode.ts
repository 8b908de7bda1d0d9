/** How big the run is: full (the real figures), quick (< 2 min), smoke (seconds, for the test). */
export type RunMode = "full" | "quick" | "smoke";

/** Picks the size for the current mode. */
export function bySize<T>(mode: RunMode, sizes: Record<RunMode, T>): T {
  return sizes[mode];
}
