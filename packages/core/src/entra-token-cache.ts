import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { EntraAuthError } from "./entra-auth-error.js";
import type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";
import { getEntraToken } from "./get-entra-token.js";
import { logger } from "./logger.js";
import { redactError } from "./redact-error.js";
import { redactTokens } from "./redact-tokens.js";
import { transientFailures } from "./transient-failure.js";

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
  token: AccessToken | undefined;
  /** `token`, already settled: what a cache hit returns (no allocation per hit). */
  settled: Promise<AccessToken> | undefined;
  obtainedAt: number;
  inflight: Promise<AccessToken> | undefined;
  failures: number;
  retryAt: number;
}

const defaults = { refreshBeforeExpiryMs: 120_000, expiryMarginMs: 30_000, retryInitialMs: 1_000, retryMaxMs: 30_000 };
const defaultTimeoutMs = 30_000;
const maxEntriesPerCredential = 32;
/** Retries of transient failures inside one shared attempt: jittered exponential backoff, as Azure's HTTP pipeline. */
const transientRetry = { initialMs: 1_000, maxMs: 16_000, maxAttempts: 6 };
/** onTokenEvent callbacks that threw once (warned about once each). */
const throwingCallbacks = new WeakSet<object>();

/**
 * Tokens per credential, scope and tenant, with refresh-ahead and single-flight:
 * - a token is reused until its refresh point (`refreshAfterTimestamp`, else
 *   `refreshBeforeExpiryMs` before expiry, at most half its lifetime);
 * - from there it is still returned at once while one background refresh runs;
 * - only in the last `expiryMarginMs` (at most a quarter of its lifetime) do callers wait;
 * - concurrent callers share one credential call; transient failures of that call (429 with
 *   `Retry-After`, 408, 5xx, reset connections) are retried inside it, within `timeoutMs`;
 * - a failed refresh keeps serving the valid token and retries with capped exponential backoff,
 *   at most one credential call per backoff step (also inside the last margin before expiry);
 *   without a valid token the error goes to the callers waiting for that attempt, and the next
 *   caller starts a new attempt;
 * - `onTokenEvent` callbacks that throw are logged once and never fail a request.
 * Entries are held per credential object (a `WeakMap`), so they never mix credentials and go away
 * with the credential; at most 32 scope/tenant entries are kept per credential.
 */
export class EntraTokenCache {
  readonly #entries = new WeakMap<TokenCredential, Map<string, Entry>>();

  getToken(credential: TokenCredential, request: EntraTokenCacheRequest): Promise<AccessToken> {
    if (request.abortSignal?.aborted) return Promise.reject(abortError(request.abortSignal));
    if (request.cache === false) return this.#wait(newEntry(), credential, request);
    const entry = this.#entry(credential, request);
    const token = entry.token;
    const now = Date.now();
    if (token === undefined || now >= token.expiresOnTimestamp) return this.#wait(entry, credential, request);
    const options = request.cache ?? defaults;
    const expires = token.expiresOnTimestamp;
    const lifetime = Math.max(0, expires - entry.obtainedAt);
    const mustRefreshAt = expires - Math.min(options.expiryMarginMs ?? defaults.expiryMarginMs, lifetime / 4);
    if (now >= mustRefreshAt) {
      // Inside the backoff after a failed refresh: keep the still-valid token, no new credential call.
      if (entry.inflight !== undefined || now >= entry.retryAt)
        return this.#waitOrKeep(entry, credential, request, token);
      emit(request, { type: "cacheHit", scopes: request.scopes, expiresOnTimestamp: expires });
      return (entry.settled ??= Promise.resolve(token));
    }
    const refreshAfter = token.refreshAfterTimestamp;
    const refreshAt =
      typeof refreshAfter === "number" && refreshAfter > entry.obtainedAt
        ? Math.min(refreshAfter, mustRefreshAt)
        : expires - Math.min(options.refreshBeforeExpiryMs ?? defaults.refreshBeforeExpiryMs, lifetime / 2);
    if (now >= refreshAt && entry.inflight === undefined && now >= entry.retryAt) {
      emit(request, { type: "backgroundRefresh", scopes: request.scopes, expiresOnTimestamp: expires });
      logger.verbose(`Refreshing the token for scope ${request.scopes.join(" ")} in the background`);
      this.#start(entry, credential, request).catch(() => undefined);
    }
    emit(request, { type: "cacheHit", scopes: request.scopes, expiresOnTimestamp: expires });
    return (entry.settled ??= Promise.resolve(token));
  }

  /** About to expire: wait for a new token, but keep serving the old one if the refresh fails while it is valid. */
  async #waitOrKeep(
    entry: Entry,
    credential: TokenCredential,
    request: EntraTokenCacheRequest,
    token: AccessToken,
  ): Promise<AccessToken> {
    try {
      return await this.#wait(entry, credential, request);
    } catch (error) {
      if (Date.now() < token.expiresOnTimestamp && !request.abortSignal?.aborted) return token;
      throw error;
    }
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
    }
    return entry;
  }

  /** Joins the attempt in flight (or starts one) and waits for it, honouring the caller's abort signal. */
  #wait(entry: Entry, credential: TokenCredential, request: EntraTokenCacheRequest): Promise<AccessToken> {
    const attempt = entry.inflight ?? this.#start(entry, credential, request);
    const signal = request.abortSignal;
    if (signal === undefined) return attempt;
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise<AccessToken>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      attempt.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  #start(entry: Entry, credential: TokenCredential, request: EntraTokenCacheRequest): Promise<AccessToken> {
    const { scopes } = request;
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
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
    const call = callWithTransientRetries(credential, request, controller.signal, deadline);
    const attempt = Promise.race([call, timeout]).then(
      (token) => {
        entry.token = token;
        entry.settled = undefined;
        entry.obtainedAt = Date.now();
        entry.failures = 0;
        entry.retryAt = 0;
        return token;
      },
      (error: Error) => {
        entry.failures += 1;
        const options = { ...defaults, ...(request.cache || {}) };
        const retryInMs = Math.min(options.retryMaxMs, options.retryInitialMs * 2 ** (entry.failures - 1));
        entry.retryAt = Date.now() + retryInMs;
        const valid =
          entry.token !== undefined && Date.now() < entry.token.expiresOnTimestamp ? entry.token : undefined;
        const next =
          valid === undefined
            ? "no valid token is cached, so the connections waiting for it fail; the next connection tries again"
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
 * One shared attempt: calls the credential and, while its failures are transient (HTTP 429 or 5xx
 * from the identity endpoint, a reset connection), calls it again after the wait the endpoint asked
 * for (`Retry-After`) or a jittered exponential backoff, as long as the wait ends before `deadline`
 * (the attempt's `timeoutMs`). Other failures end the attempt at once.
 */
async function callWithTransientRetries(
  credential: TokenCredential,
  request: EntraTokenCacheRequest,
  signal: AbortSignal,
  deadline: number,
): Promise<AccessToken> {
  const scopeText = request.scopes.join(" ");
  for (let attempt = 1; ; attempt++) {
    try {
      return await getEntraToken(credential, [...request.scopes], {
        ...(request.tenantId !== undefined && { tenantId: request.tenantId }),
        abortSignal: signal,
      });
    } catch (error) {
      const transient = typeof error === "object" && error !== null ? transientFailures.get(error) : undefined;
      if (transient === undefined || signal.aborted || attempt >= transientRetry.maxAttempts) throw error;
      const backoff = Math.min(transientRetry.maxMs, transientRetry.initialMs * 2 ** (attempt - 1));
      const waitMs = Math.ceil(transient.retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
      if (Date.now() + waitMs >= deadline) throw error;
      logger.info(
        `Token request for scope ${scopeText} got a transient failure (${transient.reason}); retrying in ${waitMs} ms (attempt ${attempt + 1})`,
      );
      await sleep(waitMs, signal);
      if (signal.aborted) throw error;
    }
  }
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
  return { token: undefined, settled: undefined, obtainedAt: 0, inflight: undefined, failures: 0, retryAt: 0 };
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
const sharedCacheKey = Symbol.for("@azure/postgresql-auth-core.tokenCache.v1");

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
