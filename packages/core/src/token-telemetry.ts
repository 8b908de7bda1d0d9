import { type Counter, type Histogram, type MeterProvider, metrics } from "@opentelemetry/api";
import { packageName, packageVersion } from "./package-version.js";

/** Why the token cache called the credential. */
export type TokenCallReason = "cold" | "refresh-ahead" | "must-refresh" | "retry";

interface Instruments {
  provider: MeterProvider;
  requests: Counter;
  cacheHits: Counter;
  refreshFailures: Counter;
  duration: Histogram;
}

let instruments: Instruments | undefined;

/**
 * The token cache's metric instruments, through `@opentelemetry/api` only: without a registered
 * OpenTelemetry SDK they are no-ops. Re-created when the global meter provider changes (an SDK
 * registered after this package was loaded).
 */
function current(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments !== undefined && instruments.provider === provider) return instruments;
  const meter = provider.getMeter(packageName, packageVersion);
  instruments = {
    provider,
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
  return instruments;
}

/** Records a token request answered from the cache. */
export function recordCacheHit(): void {
  current().cacheHits.add(1);
}

/** Records a finished credential call: its outcome, why it was made and how long it took. */
export function recordCredentialCall(
  reason: TokenCallReason,
  outcome: "success" | "failure",
  durationMs: number,
): void {
  const meters = current();
  meters.requests.add(1, { outcome, reason });
  meters.duration.record(durationMs / 1000, { outcome, reason });
  if (outcome === "failure") meters.refreshFailures.add(1, { reason });
}
