import { setFlagsFromString } from "node:v8";

/** How far above its live size the proxy process's heap may grow before a full collection, in percent. */
export const PROXY_HEAP_GROWING_PERCENT = 300;

/**
 * Lets the proxy process's JavaScript heap grow to 4× its live size between full garbage
 * collections. Every TLS record the proxy reads from the server (16 KiB) is a new off-heap buffer,
 * and V8 counts those buffers against the heap's headroom: with its default growth for a small heap
 * (about 12 MiB live, 12–16 MiB headroom), a long-running proxy ran one full collection every few
 * MiB of a large result or COPY, which doubled its CPU per MiB. With 300% the headroom covers the
 * buffers between young-generation collections (measured after 5000 small queries: 5–6 full
 * collections → 1 for a 128 MiB COPY, the proxy's resident memory about 120 MB either way; see the
 * bulk-transfer test and BENCHMARKS.md). Cost: the heap may hold more garbage between collections.
 *
 * Called by the bin for `proxy` only, never by {@link startAuthProxy}: an application's heap is not
 * ours to tune. A `--heap-growing-percent` given to node wins.
 *
 * @returns whether the setting was applied.
 */
export function tuneHeapForRelaying(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${PROXY_HEAP_GROWING_PERCENT}`);
  return true;
}
