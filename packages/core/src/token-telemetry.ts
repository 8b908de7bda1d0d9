import { type Counter, type Histogram, type MeterProvider, metrics } from "@opentelemetry/api";
import { packageName, packageVersion } from "./package-version.js";

/** Why the token cache called the credential. */
export type TokenCallReason = "cold" | "refresh-ahead" | "must-refresh" | "retry";

interface Instruments {
  requests: Counter;
  cacheHits: Counter;
  refreshFailures: Counter;
  duration: Histogram;
}

/** The meter provider the instruments below were created from (undefined: not yet created). */
let instrumentsProvider: MeterProvider | undefined;
let instruments: Instruments | undefined;
/** The cache-hit counter, kept apart so the hit path reads one module variable. */
let cacheHits: Counter | undefined;

/**
 * The token cache's metric instruments, through `@opentelemetry/api` only: without a registered
 * OpenTelemetry SDK they are no-ops. Created once per global meter provider: re-created only when
 * it changes (an SDK registered after this package was loaded).
 */
function resolve(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(packageName, packageVersion);
  const created: Instruments = {
    requests: meter.createCounter("azure.postgresql_auth.token.requests", {
      description: "Credential calls made by the token cache",
    }),
    cacheHits: meter.createCounter("azure.postgresql_auth.token.cache_hits", {
      description: "Token requests answered from the cache",
    }),
    refreshFailures: meter.createCounter("azure.postgresql_auth.token.refresh_failures", {
      description: "Credential calls that failed",
    }),
    duration: meter.createHistogram("azure.postgresql_auth.token.duration", {
      description: "Duration of credential calls",
      unit: "s",
    }),
  };
  instrumentsProvider = provider;
  instruments = created;
  cacheHits = created.cacheHits;
  return created;
}

/**
 * Records a token request answered from the cache. The hot path: one read of the global meter
 * provider and an identity comparison; no allocation, no attributes.
 */
export function recordCacheHit(): void {
  const provider = metrics.getMeterProvider();
  if (provider === instrumentsProvider && cacheHits !== undefined) cacheHits.add(1);
  else resolve(provider).cacheHits.add(1);
}

/** Records a finished credential call: its outcome, why it was made and how long it took. */
export function recordCredentialCall(
  reason: TokenCallReason,
  outcome: "success" | "failure",
  durationMs: number,
): void {
  const provider = metrics.getMeterProvider();
  const meters = provider === instrumentsProvider && instruments !== undefined ? instruments : resolve(provider);
  const attributes = { outcome, reason };
  meters.requests.add(1, attributes);
  meters.duration.record(durationMs / 1000, attributes);
  if (outcome === "failure") meters.refreshFailures.add(1, { reason });
}
