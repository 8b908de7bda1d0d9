import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { type AzureCloud, azurePostgresqlClouds } from "./azure-clouds.js";
import { EntraAuthError } from "./entra-auth-error.js";
import type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";
import { type GetEntraTokenOptions, getEntraToken } from "./get-entra-token.js";
import { logger } from "./logger.js";
import { redactError } from "./redact-error.js";
import { redactTokens } from "./redact-tokens.js";
import { observeTokenExpiry, recordCacheHit, recordCredentialCall, type TokenCallReason } from "./token-telemetry.js";
import { tracingClient } from "./tracing-client.js";
import { transientFailures } from "./transient-failure.js";
import { withExpiry } from "./with-expiry.js";

/** One request to {@link EntraTokenCache.getToken}. */
export interface EntraTokenCacheRequest {
  scopes: readonly string[];
  /** Precomputed `tenantId` + scopes key (callers that repeat a request compute it once). */
  key?: string | undefined;
  tenantId?: string | undefined;
  /** `false`: a fresh credential call for this request, nothing shared or kept. */
  cache?: false | EntraTokenCacheOptions | undefined;
  timeoutMs?: number | undefined;
  abortSignal?: AbortSignal | undefined;
  onTokenEvent?: ((event: EntraTokenEvent) => void) | undefined;
}

interface Entry {
  /** The token handed out, its expiry moved earlier by `appliedSkewMs`. */
  token: AccessToken | undefined;
  /** `token`, already settled: what a cache hit returns (no allocation per hit). */
  settled: Promise<AccessToken> | undefined;
  obtainedAt: number;
  /** How much earlier than the credential said `token` is treated as expiring (the learned clock skew). */
  appliedSkewMs: number;
  inflight: Promise<AccessToken> | undefined;
  /** Failed attempts in a row. */
  failures: number;
  failedAt: number;
  /** While failing: what callers without a valid token get at once (cleared by a success). */
  lastError: Error | undefined;
  /** The latest transient failure inside the attempt in flight (being retried). */
  attemptError: Error | undefined;
  /** When the latest attempt started. */
  attemptStartedAt: number;
  /** The wait the identity endpoint asked for with its last failure (`Retry-After`). */
  retryAfterMs: number;
  /** Whether the credential has answered (a token or an error) at least once. */
  answered: boolean;
  /** How long the last successful credential call took. */
  lastCallMs: number;
  /** Learned from expired-token refusals: how far the server's clock is at least ahead of ours. */
  skewMs: number;
}

const defaults = { refreshBeforeExpiryMs: 120_000, expiryMarginMs: 30_000, retryInitialMs: 1_000, retryMaxMs: 30_000 };
const defaultTimeoutMs = 30_000;
const maxEntriesPerCredential = 32;
/**
 * The retry budget. A caller without a valid token waits for a credential that has answered before
 * at most `callerWaitMs` (or twice its last successful call, if longer), so that it gets a clear
 * error before a driver's connection timeout (pg's `connectionTimeoutMillis` is typically 5 s);
 * the credential call itself may go on for `timeoutMs`. Transient failures are retried inside the
 * shared attempt only when the retry (its wait plus a call as long as the failed one) ends within
 * that budget: a credential that retries on its own (every `@azure/identity` credential that uses
 * HTTP: 3 retries from 1 s, 4–6 s in an outage) has used the budget up, so our retries never
 * multiply its own. Waits: `Retry-After` when the endpoint sends it (Azure core's throttling
 * strategy), else Azure core's first exponential step, 0.5–1 s jittered, each time: inside a 3 s
 * budget doubling gains nothing, and a longer gap would delay noticing that the endpoint is back.
 */
const budget = { callerWaitMs: 3_000, retryDelayMs: 1_000 };
/** A still-valid token is handed out at the latest this long before it expires, when its refresh is slow or fails. */
const keepValidMarginMs = 1_000;
/** The learned clock skew moves a token's expiry earlier by at most this share of its remaining lifetime. */
const maxSkewShare = 0.75;
/** The options a credential call's span starts from (no parent: the span is a root or nests in the active context). */
const noTracingOptions: { tracingOptions?: GetEntraTokenOptions["tracingOptions"] } = {};
/** onTokenEvent callbacks that threw once (warned about once each). */
const throwingCallbacks = new WeakSet<object>();

/**
 * Tokens per credential, scope and tenant, with refresh-ahead and single-flight:
 * - a token is reused until its refresh point (`refreshAfterTimestamp`, else
 *   `refreshBeforeExpiryMs` before expiry, at most half its lifetime);
 * - from there it is still returned at once while one background refresh runs;
 * - only in the last `expiryMarginMs` (at most a quarter of its lifetime) do callers wait for the
 *   refresh, and never longer than the caller budget from its start nor past 1 s before expiry:
 *   a failed, failing or slow refresh hands them the still-valid token;
 * - concurrent callers share one credential call; transient failures of that call (429 with
 *   `Retry-After`, 408, 5xx, refused or reset connections) are retried inside it only within the
 *   caller budget (3 s, see `budget`);
 * - a failed attempt is retried after `retryInitialMs`: while a valid token is cached, doubling up
 *   to `retryMaxMs`; without one, every `retryInitialMs` (so a recovered credential is noticed
 *   within a second), and never before the endpoint's `Retry-After`. Until then, and while an
 *   attempt runs after a failure, callers without a valid token get the last error at once;
 * - `invalidate()` (an expired-token refusal from the server) drops the token and learns how far
 *   the server's clock is ahead: later tokens are treated as expiring that much earlier (at most
 *   three quarters of their lifetime);
 * - `onTokenEvent` callbacks that throw are logged once and never fail a request.
 * Entries are held per credential object (a `WeakMap`), so they never mix credentials and go away
 * with the credential; at most 32 scope/tenant entries are kept per credential.
 */
export class EntraTokenCache {
  readonly #entries = new WeakMap<TokenCredential, Map<string, Entry>>();

  getToken(credential: TokenCredential, request: EntraTokenCacheRequest): Promise<AccessToken> {
    if (request.abortSignal?.aborted) return Promise.reject(abortError(request.abortSignal));
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    if (request.cache === false) return this.#wait(newEntry(), credential, request);
    const entry = this.#entry(credential, request);
    const options = request.cache ?? defaults;
    const token = entry.token;
    const now = Date.now();
    if (token === undefined || now >= token.expiresOnTimestamp) {
      // No valid token. After a failure, until the next attempt is due (and while it runs), fail at once.
      if (
        entry.lastError !== undefined &&
        (entry.inflight !== undefined || now < nextAttemptAt(entry, options, false))
      ) {
        return Promise.reject(entry.lastError);
      }
      // Before the credential has ever answered, callers wait for it (up to timeoutMs); after that at
      // most the budget from the attempt's start, and then the attempt counts as stalled.
      if (!entry.answered) return this.#wait(entry, credential, request);
      const budgetMs = callerBudget(entry, timeoutMs);
      const waitMs = entry.inflight === undefined ? budgetMs : budgetMs - (now - entry.attemptStartedAt);
      const giveUp = () => {
        const error = entry.lastError ?? entry.attemptError ?? stalled(request, budgetMs, entry);
        entry.lastError ??= error;
        throw error;
      };
      if (waitMs <= 0) return new Promise<AccessToken>(giveUp);
      return this.#wait(entry, credential, request, waitMs, giveUp);
    }
    const expires = token.expiresOnTimestamp;
    const lifetime = Math.max(0, expires - entry.obtainedAt);
    const mustRefreshAt = mustRefreshPoint(entry, options);
    const due = entry.inflight === undefined && now >= nextAttemptAt(entry, options, now < mustRefreshAt);
    if (now >= mustRefreshAt) {
      // While failing (or inside the backoff) the still-valid token is handed out at once.
      if (entry.lastError === undefined && (due || entry.inflight !== undefined)) {
        return this.#waitOrKeep(entry, credential, request, token, callerBudget(entry, timeoutMs));
      }
      if (due) this.#start(entry, credential, request).catch(() => undefined);
      return this.#hit(entry, request, token);
    }
    const refreshAfter = token.refreshAfterTimestamp;
    const refreshAt =
      typeof refreshAfter === "number" && refreshAfter > entry.obtainedAt
        ? Math.min(refreshAfter, mustRefreshAt)
        : expires - Math.min(options.refreshBeforeExpiryMs ?? defaults.refreshBeforeExpiryMs, lifetime / 2);
    if (now >= refreshAt && due) {
      emit(request, { type: "backgroundRefresh", scopes: request.scopes, expiresOnTimestamp: expires });
      logger.verbose(`Refreshing the token for scope ${request.scopes.join(" ")} in the background`);
      this.#start(entry, credential, request).catch(() => undefined);
    }
    return this.#hit(entry, request, token);
  }

  /**
   * Drops the cached token of `request` so that the next call fetches a fresh one, for when the
   * server refused it as expired. With `refusedToken`, only that token is dropped (a refusal that
   * arrives after another caller already replaced it changes nothing). Learns the clock skew: the
   * token's remaining lifetime by our clock is how far the server's clock is at least ahead.
   * Returns whether a token was dropped.
   */
  invalidate(credential: TokenCredential, request: EntraTokenCacheRequest, refusedToken?: string): boolean {
    const key = request.key ?? entraTokenCacheKey(request.scopes, request.tenantId);
    const entry = this.#entries.get(credential)?.get(key);
    const token = entry?.token;
    if (entry === undefined || token === undefined) return false;
    if (refusedToken !== undefined && token.token !== refusedToken) return false;
    const aheadMs = token.expiresOnTimestamp + entry.appliedSkewMs - Date.now();
    const scopeText = request.scopes.join(" ");
    if (aheadMs > entry.skewMs) {
      entry.skewMs = aheadMs;
      const seconds = Math.round(aheadMs / 1000);
      logger.warning(
        `The server refused the token for scope ${scopeText} as expired while this machine's clock gives it ${seconds} s more: ` +
          `this machine's clock is behind the server's by at least ${seconds} s. Tokens are now treated as expiring that much ` +
          "earlier (at most three quarters of their lifetime); synchronise this machine's clock (NTP)",
      );
    } else {
      logger.info(
        `Dropped the token for scope ${scopeText} that the server refused as expired; the next connection fetches a new one`,
      );
    }
    entry.token = undefined;
    entry.settled = undefined;
    entry.appliedSkewMs = 0;
    return true;
  }

  #hit(entry: Entry, request: EntraTokenCacheRequest, token: AccessToken): Promise<AccessToken> {
    // The event object is only built for a listener: a cache hit allocates nothing otherwise.
    if (request.onTokenEvent !== undefined) {
      emit(request, { type: "cacheHit", scopes: request.scopes, expiresOnTimestamp: token.expiresOnTimestamp });
    }
    recordCacheHit();
    return (entry.settled ??= Promise.resolve(token));
  }

  /**
   * About to expire: wait for the refresh, but no longer than the caller budget from the refresh's
   * start, and never past the point where the still-valid token must be handed out (1 s before
   * expiry); a refresh that fails also hands it out. So while a token is valid no caller fails.
   */
  #waitOrKeep(
    entry: Entry,
    credential: TokenCredential,
    request: EntraTokenCacheRequest,
    token: AccessToken,
    budgetMs: number,
  ): Promise<AccessToken> {
    const now = Date.now();
    const runningMs = entry.inflight === undefined ? 0 : now - entry.attemptStartedAt;
    const waitMs = Math.min(budgetMs - runningMs, token.expiresOnTimestamp - now - keepValidMarginMs);
    if (waitMs <= 0) {
      if (entry.inflight === undefined) this.#start(entry, credential, request).catch(() => undefined);
      return this.#hit(entry, request, token);
    }
    const keep = (error: Error): AccessToken => {
      if (Date.now() < token.expiresOnTimestamp && !request.abortSignal?.aborted) return token;
      throw error;
    };
    return this.#wait(entry, credential, request, waitMs, () =>
      keep(entry.attemptError ?? stalled(request, waitMs, entry)),
    ).catch(keep);
  }

  #entry(credential: TokenCredential, request: EntraTokenCacheRequest): Entry {
    let byKey = this.#entries.get(credential);
    if (byKey === undefined) {
      byKey = new Map();
      this.#entries.set(credential, byKey);
    }
    const key = request.key ?? entraTokenCacheKey(request.scopes, request.tenantId);
    let entry = byKey.get(key);
    if (entry === undefined) {
      if (byKey.size >= maxEntriesPerCredential) byKey.delete(byKey.keys().next().value as string);
      entry = newEntry();
      byKey.set(key, entry);
      observeTokenExpiry(entry, request.scopes.join(" "));
    }
    return entry;
  }

  /**
   * Joins the attempt in flight (or starts one) and waits for it, honouring the caller's abort
   * signal; with `onWaitEnd`, at most `waitMs`, after which `onWaitEnd` decides (a token, or an error).
   */
  #wait(
    entry: Entry,
    credential: TokenCredential,
    request: EntraTokenCacheRequest,
    waitMs = Number.POSITIVE_INFINITY,
    onWaitEnd?: () => AccessToken,
  ): Promise<AccessToken> {
    const attempt = entry.inflight ?? this.#start(entry, credential, request);
    const signal = request.abortSignal;
    const end = waitMs < (request.timeoutMs ?? defaultTimeoutMs) ? onWaitEnd : undefined;
    if (signal === undefined && end === undefined) return attempt;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<AccessToken>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => signal && reject(abortError(signal));
      signal?.addEventListener("abort", onAbort, { once: true });
      if (end !== undefined) {
        timer = setTimeout(
          () => {
            if (entry.inflight !== attempt) return; // settled meanwhile: its own outcome wins
            try {
              resolve(end());
            } catch (error) {
              reject(error);
            }
          },
          Math.max(0, waitMs),
        );
      }
      attempt.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      });
    });
  }

  #start(entry: Entry, credential: TokenCredential, request: EntraTokenCacheRequest): Promise<AccessToken> {
    const { scopes } = request;
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const startedAt = Date.now();
    emit(request, { type: "credentialCall", scopes });
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new EntraAuthError(
          "TOKEN_ACQUISITION_TIMEOUT",
          `The credential did not return a token for scope ${scopes.join(" ")} within ${timeoutMs} ms. ` +
            "Check that the identity endpoint or developer tool it uses answers, or raise the timeoutMs option.",
        );
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    entry.attemptError = undefined;
    entry.attemptStartedAt = startedAt;
    const retryDeadline = startedAt + retryBudget(entry, timeoutMs);
    const reason = attemptReason(entry, request);
    const call = tracingClient.withSpan(
      "EntraTokenCache.getToken",
      noTracingOptions,
      (updated, span) => {
        span.setAttribute("azure.postgresql_auth.scope", scopes.join(" "));
        span.setAttribute("azure.postgresql_auth.cloud", cloudOfScopes(scopes) ?? "unknown");
        span.setAttribute("azure.postgresql_auth.reason", reason);
        return callWithTransientRetries(
          entry,
          credential,
          request,
          controller.signal,
          retryDeadline,
          updated.tracingOptions,
        ).then(
          (result) => {
            const durationMs = Date.now() - startedAt;
            span.setAttribute("azure.postgresql_auth.outcome", "success");
            span.setAttribute("azure.postgresql_auth.duration_ms", durationMs);
            recordCredentialCall(reason, "success", durationMs);
            return result;
          },
          (error: unknown) => {
            const durationMs = Date.now() - startedAt;
            span.setAttribute("azure.postgresql_auth.outcome", "failure");
            span.setAttribute("azure.postgresql_auth.duration_ms", durationMs);
            recordCredentialCall(reason, "failure", durationMs);
            span.setAttribute("error.type", errorType(error));
            throw error;
          },
        );
      },
      { spanKind: "client" },
    );
    const attempt = Promise.race([call, timeout]).then(
      ({ token, callMs }) => {
        const stored = withSkew(token, entry.skewMs);
        entry.token = stored;
        entry.settled = undefined;
        entry.obtainedAt = Date.now();
        entry.appliedSkewMs = token.expiresOnTimestamp - stored.expiresOnTimestamp;
        entry.failures = 0;
        entry.lastError = undefined;
        entry.attemptError = undefined;
        entry.retryAfterMs = 0;
        entry.answered = true;
        entry.lastCallMs = callMs;
        return stored;
      },
      (error: Error) => {
        const now = Date.now();
        entry.failures += 1;
        entry.failedAt = now;
        entry.lastError = error;
        entry.attemptError = undefined;
        entry.retryAfterMs = transientFailures.get(error)?.retryAfterMs ?? 0;
        entry.answered = true;
        const options = request.cache || defaults;
        const valid = entry.token !== undefined && now < entry.token.expiresOnTimestamp ? entry.token : undefined;
        const retryInMs =
          nextAttemptAt(entry, options, valid !== undefined && now < mustRefreshPoint(entry, options)) - now;
        const next =
          valid === undefined
            ? `no valid token is cached, so connections fail at once with this error until the next attempt, in ${retryInMs} ms at the earliest`
            : `the cached token stays in use until it expires at ${new Date(valid.expiresOnTimestamp).toISOString()}; the next attempt is in ${retryInMs} ms at the earliest`;
        logger.warning(`Token request for scope ${scopes.join(" ")} failed (${describeError(error)}); ${next}`);
        emit(request, { type: "refreshFailed", scopes, error, retryInMs });
        throw error;
      },
    );
    entry.inflight = attempt;
    const settle = () => {
      clearTimeout(timer);
      if (entry.inflight === attempt) entry.inflight = undefined;
    };
    attempt.then(settle, settle);
    return attempt;
  }
}

/**
 * One shared attempt: calls the credential and, while its failures are transient (HTTP 429, 408 or
 * 5xx from the identity endpoint, a refused or reset connection), calls it again after the wait the
 * endpoint asked for (`Retry-After`) or 0.5–1 s, as long as the wait plus a call as long as the
 * failed one ends before `deadline` (the retry budget). Other failures end the attempt at once.
 */
async function callWithTransientRetries(
  entry: Entry,
  credential: TokenCredential,
  request: EntraTokenCacheRequest,
  signal: AbortSignal,
  deadline: number,
  tracingOptions?: GetEntraTokenOptions["tracingOptions"],
): Promise<{ token: AccessToken; callMs: number }> {
  const scopeText = request.scopes.join(" ");
  for (let retry = 0; ; retry++) {
    const callStart = Date.now();
    try {
      const token = await getEntraToken(credential, [...request.scopes], {
        ...(request.tenantId !== undefined && { tenantId: request.tenantId }),
        abortSignal: signal,
        ...(tracingOptions !== undefined && { tracingOptions }),
      });
      return { token, callMs: Date.now() - callStart };
    } catch (error) {
      const transient = typeof error === "object" && error !== null ? transientFailures.get(error) : undefined;
      if (transient === undefined || signal.aborted) throw error;
      const now = Date.now();
      const delay = budget.retryDelayMs;
      const waitMs = Math.ceil(transient.retryAfterMs ?? delay / 2 + Math.random() * (delay / 2));
      if (now + waitMs + (now - callStart) > deadline) throw error;
      entry.attemptError = error as Error;
      logger.info(
        `Token request for scope ${scopeText} got a transient failure (${transient.reason}); retrying in ${waitMs} ms (retry ${retry + 1})`,
      );
      await sleep(waitMs, signal);
      if (signal.aborted) throw error;
    }
  }
}

/** Why a credential call starts: no token yet, a retry after a failure, or a refresh (ahead of time, or required). */
function attemptReason(entry: Entry, request: EntraTokenCacheRequest): TokenCallReason {
  if (entry.failures > 0) return "retry";
  const token = entry.token;
  if (token === undefined || Date.now() >= token.expiresOnTimestamp) return "cold";
  return Date.now() >= mustRefreshPoint(entry, request.cache || defaults) ? "must-refresh" : "refresh-ahead";
}

/** The cloud whose PostgreSQL scope `scopes` asks for, if any. */
function cloudOfScopes(scopes: readonly string[]): AzureCloud | undefined {
  for (const [cloud, info] of Object.entries(azurePostgresqlClouds)) {
    if (scopes.includes(info.scope)) return cloud as AzureCloud;
  }
  return undefined;
}

/** A span's `error.type`: the {@link EntraAuthError} code, else the error's class name (never its message). */
function errorType(error: unknown): string {
  if (EntraAuthError.isInstance(error)) return error.code;
  return error instanceof Error ? error.name : "unknown";
}

/** How long a caller without a usable token waits: the budget once the credential has answered, else `timeoutMs`. */
function callerBudget(entry: Entry, timeoutMs: number): number {
  return entry.answered ? retryBudget(entry, timeoutMs) : timeoutMs;
}

/** 3 s, or twice the credential's last successful call if that is longer; at most `timeoutMs`. */
function retryBudget(entry: Entry, timeoutMs: number): number {
  return Math.min(timeoutMs, Math.max(budget.callerWaitMs, 2 * entry.lastCallMs));
}

/**
 * When the next attempt after a failure may start: while a valid token has time left (before the
 * must-refresh point), `retryInitialMs` after the failure, doubling per failure up to `retryMaxMs`;
 * in the last margin before expiry and without a valid token, `retryInitialMs` after each failure
 * (a recovered credential is noticed within that step). Never before the endpoint's `Retry-After`.
 */
function nextAttemptAt(entry: Entry, options: EntraTokenCacheOptions, relaxed: boolean): number {
  if (entry.failures === 0) return 0;
  const initial = options.retryInitialMs ?? defaults.retryInitialMs;
  const max = options.retryMaxMs ?? defaults.retryMaxMs;
  const step = relaxed ? Math.min(max, initial * 2 ** (entry.failures - 1)) : Math.min(max, initial);
  return entry.failedAt + Math.max(step, entry.retryAfterMs);
}

/** From here on callers wait for a new token: `expiryMarginMs` before expiry, at most a quarter of the lifetime. */
function mustRefreshPoint(entry: Entry, options: EntraTokenCacheOptions): number {
  const token = entry.token;
  if (token === undefined) return 0;
  const lifetime = Math.max(0, token.expiresOnTimestamp - entry.obtainedAt);
  return token.expiresOnTimestamp - Math.min(options.expiryMarginMs ?? defaults.expiryMarginMs, lifetime / 4);
}

/** The token with its expiry moved earlier by the learned skew (at most three quarters of its remaining lifetime). */
function withSkew(token: AccessToken, skewMs: number): AccessToken {
  if (skewMs <= 0) return token;
  const shiftMs = Math.floor(Math.min(skewMs, maxSkewShare * (token.expiresOnTimestamp - Date.now())));
  return shiftMs > 0 ? withExpiry(token, token.expiresOnTimestamp - shiftMs) : token;
}

function stalled(request: EntraTokenCacheRequest, waitMs: number, entry: Entry): EntraAuthError {
  const runningS = ((Date.now() - entry.attemptStartedAt) / 1000).toFixed(1);
  return new EntraAuthError(
    "TOKEN_ACQUISITION_TIMEOUT",
    `The credential has not returned a token for scope ${request.scopes.join(" ")} within ${Math.round(waitMs)} ms ` +
      `(its call has been running for ${runningS} s), and no valid token is cached. The call goes on in the background ` +
      "(a credential that retries on its own, such as ManagedIdentityCredential, can take 20 s to fail); until it ends, " +
      "connections fail at once with this error. Check that the identity endpoint or developer tool the credential uses answers. " +
      "For errors with their cause within 3 s and recovery within a second, leave the retries to this cache: " +
      "create the credential with retryOptions: { maxRetries: 0 } (ManagedIdentityCredential, DefaultAzureCredential).",
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Calls the application's onTokenEvent; a callback that throws (or rejects) never fails a connection. */
function emit(request: EntraTokenCacheRequest, event: EntraTokenEvent): void {
  const callback = request.onTokenEvent;
  if (callback === undefined) return;
  try {
    const result: unknown = callback(event);
    if (typeof result === "object" && result !== null && typeof (result as PromiseLike<unknown>).then === "function") {
      (result as PromiseLike<unknown>).then(undefined, (error: unknown) => callbackFailed(callback, error));
    }
  } catch (error) {
    callbackFailed(callback, error);
  }
}

function callbackFailed(callback: object, error: unknown): void {
  if (throwingCallbacks.has(callback)) return;
  throwingCallbacks.add(callback);
  logger.warning(
    `The onTokenEvent callback threw (${describeError(error)}); the token request went on. ` +
      "Fix the callback: this warning is logged once per callback",
  );
}

/** A short description of an error for a log line: its code if it has one, and its (redacted) message. */
function describeError(error: unknown): string {
  if (EntraAuthError.isInstance(error)) return `${error.code}: ${error.message}`;
  return redactTokens(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

function newEntry(): Entry {
  return {
    token: undefined,
    settled: undefined,
    obtainedAt: 0,
    appliedSkewMs: 0,
    inflight: undefined,
    failures: 0,
    failedAt: 0,
    lastError: undefined,
    attemptError: undefined,
    attemptStartedAt: 0,
    retryAfterMs: 0,
    answered: false,
    lastCallMs: 0,
    skewMs: 0,
  };
}

/** The cache key of a request: tenant and scopes. */
export function entraTokenCacheKey(scopes: readonly string[], tenantId: string | undefined): string {
  return `${tenantId ?? ""}\n${scopes.join(" ")}`;
}

function abortError(signal: AbortSignal): EntraAuthError {
  return new EntraAuthError("ABORTED", "The token request was aborted by the caller's abort signal.", {
    cause: redactError(signal.reason),
  });
}

/**
 * The key of the cache shared by every copy of this package in the process (ESM and CommonJS
 * builds, duplicate installs). Bump the version when {@link EntraTokenCacheRequest} or the
 * behaviour callers rely on changes incompatibly: copies with another version keep their own cache.
 */
const sharedCacheKey = Symbol.for("@azure/postgresql-auth-core.tokenCache.v2");

/**
 * The cache every adapter uses unless its options say `cache: false`: one per process, shared by
 * every copy of this package of the same cache version (the first copy loaded creates it), so an
 * application that loads both the ESM and the CommonJS build makes one credential call, not two.
 */
export const sharedTokenCache: EntraTokenCache = sharedCache();

function sharedCache(): EntraTokenCache {
  const slot = globalThis as unknown as Record<symbol, unknown>;
  const existing = slot[sharedCacheKey];
  if (
    typeof existing === "object" &&
    existing !== null &&
    typeof (existing as EntraTokenCache).getToken === "function"
  ) {
    return existing as EntraTokenCache;
  }
  const cache = new EntraTokenCache();
  Object.defineProperty(globalThis, sharedCacheKey, {
    value: cache,
    enumerable: false,
    configurable: false,
    writable: false,
  });
  return cache;
}
