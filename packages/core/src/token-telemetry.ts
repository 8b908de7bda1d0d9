import type { AccessToken } from "@azure/core-auth";
import {
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
  type ObservableResult,
} from "@opentelemetry/api";
import { packageName, packageVersion } from "./package-version.js";

/** Why the token cache called the credential. */
export type TokenCallReason = "cold" | "refresh-ahead" | "must-refresh" | "retry";

interface Instruments {
  requests: Counter;
  cacheHits: Counter;
  refreshFailures: Counter;
  duration: Histogram;
}

/** What the expiry gauge reads of a cache entry: its current token, if any. */
export interface TokenExpiryHolder {
  readonly token: AccessToken | undefined;
}

interface ObservedEntry {
  readonly ref: WeakRef<TokenExpiryHolder>;
  readonly attributes: Attributes;
}

/**
 * The cache entries the `time_to_expiry` gauge reports, held weakly: an entry the cache drops (or
 * whose credential is collected) is collected too, and then removed from this set.
 */
const observed = new Set<ObservedEntry>();
const forget = new FinalizationRegistry<ObservedEntry>((record) => observed.delete(record));

/**
 * Adds a cache entry to the `azure.postgresql_auth.token.time_to_expiry` gauge (once, when the
 * entry is created: not on the hit path). Its token is never read, only its expiry.
 */
export function observeTokenExpiry(entry: TokenExpiryHolder, scope: string): void {
  const record: ObservedEntry = { ref: new WeakRef(entry), attributes: { scope } };
  observed.add(record);
  forget.register(entry, record);
}

/** The gauge's callback: seconds until each cached token's expiry (entries without a token are skipped). */
function observeExpiries(result: ObservableResult): void {
  const now = Date.now();
  for (const record of observed) {
    const entry = record.ref.deref();
    if (entry === undefined) {
      observed.delete(record);
      continue;
    }
    const token = entry.token;
    if (token !== undefined) result.observe((token.expiresOnTimestamp - now) / 1000, record.attributes);
  }
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
  meter
    .createObservableGauge("azure.postgresql_auth.token.time_to_expiry", {
      description: "Seconds until the cached token's expiry",
      unit: "s",
    })
    .addCallback(observeExpiries);
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
