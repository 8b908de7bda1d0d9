/** Differences of the emulator's counters between two `emu.stats()` snapshots. */
import type { EmulatorStats, TokenWay } from "@azure/postgresql-auth-emulator";

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
      if (way === undefined) return (after.tokenRequests.byPrincipal[principal] ?? 0) - (before.tokenRequests.byPrincipal[principal] ?? 0);
      return (after.tokenRequests.byPrincipalAndWay[principal]?.[way] ?? 0) - (before.tokenRequests.byPrincipalAndWay[principal]?.[way] ?? 0);
    },
    throttled: after.throttled - before.throttled,
    failed: after.failed - before.failed,
    loginsOk: after.logins.ok - before.logins.ok,
    loginsRefused: after.logins.refused - before.logins.refused,
  };
}
