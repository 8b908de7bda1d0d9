/**
 * How the token cache decides when to fetch a new token. Every adapter caches by default; pass
 * `cache: false` in the adapter's options to ask the credential on every new connection.
 *
 * Defaults: refresh in the background from 2 minutes before expiry (or from the credential's
 * `refreshAfterTimestamp`), make callers wait only in the last 30 seconds (and at most about
 * 3 s), retry a failed background refresh after 1 s, doubling up to 30 s; in the last 30 seconds
 * and without a valid token, retry every 1 s. For short-lived tokens the windows shrink to half
 * and a quarter of the token's lifetime.
 *
 * @example
 * ```ts
 * import type { EntraTokenCacheOptions } from "@azure/postgresql-auth-core";
 * const cache: EntraTokenCacheOptions = { refreshBeforeExpiryMs: 5 * 60_000 };
 * ```
 */
export interface EntraTokenCacheOptions {
  /** Start refreshing in the background this long before expiry. Default 120000 (2 minutes). */
  refreshBeforeExpiryMs?: number;
  /** Inside this margin before expiry callers wait for a new token. Default 30000 (30 s). */
  expiryMarginMs?: number;
  /**
   * First retry delay after a failed refresh, doubling per failure while a valid token has time
   * left; in the last `expiryMarginMs` and without a valid token, the delay between attempts
   * (until then, callers without a valid token get the last error at once). Default 1000.
   */
  retryInitialMs?: number;
  /** Longest retry delay after repeated failures while a valid token is cached. Default 30000. */
  retryMaxMs?: number;
}

/**
 * What the token cache reports to `onTokenEvent`: credential calls, cache hits, background
 * refreshes and refresh failures. Events never carry the token.
 *
 * @example
 * ```ts
 * import type { EntraTokenEvent } from "@azure/postgresql-auth-core";
 * const counts: Record<EntraTokenEvent["type"], number> = { credentialCall: 0, cacheHit: 0, backgroundRefresh: 0, refreshFailed: 0 };
 * const onTokenEvent = (event: EntraTokenEvent) => void counts[event.type]++;
 * ```
 */
export type EntraTokenEvent =
  | { type: "credentialCall"; scopes: readonly string[] }
  | { type: "cacheHit"; scopes: readonly string[]; expiresOnTimestamp: number }
  | { type: "backgroundRefresh"; scopes: readonly string[]; expiresOnTimestamp: number }
  | { type: "refreshFailed"; scopes: readonly string[]; error: Error; retryInMs: number };
