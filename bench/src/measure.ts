/** Small measuring tools: percentiles, sleeps, the emulator's counters, token-free error summaries. */
import type { EmulatorStats, TokenWay } from "@azure/postgresql-auth-emulator";

/** Nearest-rank percentiles of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Differences of the emulator's counters between two `emu.stats()` snapshots. */

export interface StatsDelta {
  /** Token requests of `principal` (by one way, or all ways) between the snapshots. */
  requests(principal: string, way?: TokenWay): number;
  throttled: number;
  failed: number;
  loginsOk: number;
  loginsRefused: number;
}

export function statsDelta(before: EmulatorStats, after: EmulatorStats): StatsDelta {
  return {
    requests(principal, way) {
      if (way === undefined)
        return (after.tokenRequests.byPrincipal[principal] ?? 0) - (before.tokenRequests.byPrincipal[principal] ?? 0);
      return (
        (after.tokenRequests.byPrincipalAndWay[principal]?.[way] ?? 0) -
        (before.tokenRequests.byPrincipalAndWay[principal]?.[way] ?? 0)
      );
    },
    throttled: after.throttled - before.throttled,
    failed: after.failed - before.failed,
    loginsOk: after.logins.ok - before.logins.ok,
    loginsRefused: after.logins.refused - before.logins.refused,
  };
}

/**
 * A short, token-free summary of a connection error for the report. DefaultAzureCredential's
 * errors list every credential of its chain; the managed identity part is the one that matters here.
 */
export function errorSummary(error: unknown, maxChars = 240): string {
  const message = String((error as Error)?.message ?? error).replace(/\s+/g, " ");
  const mi = message.indexOf("ManagedIdentityCredential");
  const cli = message.indexOf("AzureCliCredential");
  const from = mi >= 0 ? mi : Math.max(cli, 0);
  return message.slice(from, from + maxChars).replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "<token>");
}
