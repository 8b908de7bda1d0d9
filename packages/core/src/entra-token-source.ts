import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { assertTokenCredential } from "./assert-token-credential.js";
import { EntraAuthError } from "./entra-auth-error.js";
import { type EntraTokenCacheRequest, entraTokenCacheKey, sharedTokenCache } from "./entra-token-cache.js";
import type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
import { invalidOption } from "./invalid-option.js";
import { resolveScopes } from "./resolve-scopes.js";

/**
 * What a connection tells the token source about itself.
 *
 * @example
 * ```ts
 * import type { EntraTokenRequestContext } from "@azure/postgresql-auth-core";
 * const context: EntraTokenRequestContext = { host: "myserver.postgres.database.azure.com" };
 * ```
 */
export interface EntraTokenRequestContext {
  /** Host of the connection being opened; selects the cloud when no scope was configured. */
  host?: string;
  /** Aborts this caller's wait (a credential call shared with other callers goes on). */
  abortSignal?: AbortSignal;
}

/**
 * Gives adapters a valid access token for each new connection. Made by
 * {@link createEntraTokenSource}.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * const source = createEntraTokenSource(credential);
 * const { token } = await source.getAccessToken({ host: "db.postgres.database.azure.com" });
 * ```
 */
export interface EntraTokenSource {
  /**
   * A valid token for a new connection: from the shared cache (refresh-ahead, single-flight), or
   * from the credential. Rejects with an {@link EntraAuthError}: without a valid token, within
   * about 3 s once the credential has answered before, and at once while the credential keeps
   * failing (until its next attempt is due).
   */
  getAccessToken(context?: EntraTokenRequestContext): Promise<AccessToken>;
  /**
   * Drops the cached token so that the next {@link EntraTokenSource.getAccessToken} fetches a
   * fresh one. Call it where your code sees the server refuse a login as expired (SQLSTATE 28000,
   * "The access token has expired"), for example in the error handler around a pool's connect:
   * this machine's clock is then behind the server's, and the cache also learns by how much
   * (later tokens are treated as expiring that much earlier). Pass the refused token when you have
   * it: a refusal that arrives after another connection already replaced that token then changes
   * nothing. Does nothing with `cache: false`.
   *
   * @example
   * ```ts
   * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
   * const source = createEntraTokenSource(credential);
   * function onLoginError(err: { code?: string; message: string }) {
   *   if (err.code === "28000" && /token.*expired/i.test(err.message)) source.invalidate();
   * }
   * ```
   */
  invalidate(refusedToken?: string): void;
}

/**
 * Checks the credential and options at once (so that set-up fails early, with an
 * {@link EntraAuthError} naming the fix) and returns the {@link EntraTokenSource} that adapters
 * call on every new connection. Tokens come from the shared cache (refresh-ahead, single-flight)
 * unless `options.cache` is `false`. The token it returns carries its effective expiry
 * (`expiresOnTimestamp`: the earlier of the credential's value and the JWT's `exp` claim), for
 * drivers that want to know when to ask again.
 *
 * Every option is checked here: a wrong type throws `INVALID_OPTION` naming the option and the
 * expected type, so a mistake fails at set-up rather than at the first connection.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * const source = createEntraTokenSource(credential, { scope: "api://custom/.default" });
 * ```
 */
export function createEntraTokenSource(
  credential: TokenCredential,
  options: GetEntraTokenPasswordOptions = {},
): EntraTokenSource {
  assertTokenCredential(credential, "createEntraTokenSource");
  assertTokenSourceOptions(options);
  const configuredScopes = options.scope === undefined ? undefined : resolveScopes({ scope: options.scope });
  const { tenantId, cache, timeoutMs, onTokenEvent } = options;
  // One request per host, built once: this runs for every new connection.
  const requests = new Map<string | undefined, EntraTokenCacheRequest>();
  const requestFor = (host: string | undefined): EntraTokenCacheRequest => {
    let request = requests.get(host);
    if (request === undefined) {
      const scopes = configuredScopes ?? resolveScopes({ host: options.host ?? host });
      request = { scopes, key: entraTokenCacheKey(scopes, tenantId), tenantId, cache, timeoutMs, onTokenEvent };
      if (requests.size < 16) requests.set(host, request);
    }
    return request;
  };
  return {
    getAccessToken(context?: EntraTokenRequestContext): Promise<AccessToken> {
      if (context !== undefined && (typeof context !== "object" || context === null)) {
        return Promise.reject(invalidOption("context", "an object ({ host?, abortSignal? }) or left out", context));
      }
      const abortSignal = context?.abortSignal;
      if (
        abortSignal !== undefined &&
        typeof (abortSignal as Partial<AbortSignal> | null)?.addEventListener !== "function"
      ) {
        return Promise.reject(invalidOption("abortSignal", "an AbortSignal", abortSignal));
      }
      const request = requestFor(typeof context?.host === "string" ? context.host : undefined);
      return sharedTokenCache.getToken(credential, abortSignal === undefined ? request : { ...request, abortSignal });
    },
    invalidate(refusedToken?: string): void {
      if (cache === false) return;
      const token = typeof refusedToken === "string" ? refusedToken : undefined;
      for (const request of requests.values()) sharedTokenCache.invalidate(credential, request, token);
    },
  };
}

/** The largest delay Node's timers support (2**31 - 1 ms, about 24.8 days); longer ones fire at once. */
const maxTimerMs = 2 ** 31 - 1;
const cacheSettings = ["refreshBeforeExpiryMs", "expiryMarginMs", "retryInitialMs", "retryMaxMs"] as const;

/**
 * Checks every option of {@link GetEntraTokenPasswordOptions} and throws `INVALID_OPTION` naming
 * the option and the expected type (`INVALID_SCOPE` for the scope, checked by resolveScopes).
 */
function assertTokenSourceOptions(options: unknown): asserts options is GetEntraTokenPasswordOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalidOption("options", "an object (or left out)", options);
  }
  const { host, tenantId, cache, timeoutMs, onTokenEvent } = options as GetEntraTokenPasswordOptions;
  if (host !== undefined && (typeof host !== "string" || host.trim() === "")) {
    throw invalidOption("host", "a non-empty string (the server host name)", host);
  }
  if (tenantId !== undefined && (typeof tenantId !== "string" || tenantId.trim() === "")) {
    throw invalidOption("tenantId", "a non-empty string (a tenant id or domain)", tenantId);
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= maxTimerMs)) {
    throw invalidOption(
      "timeoutMs",
      `a number of milliseconds above 0 and at most ${maxTimerMs} (the longest timer Node supports)`,
      timeoutMs,
    );
  }
  if (onTokenEvent !== undefined && typeof onTokenEvent !== "function")
    throw invalidOption("onTokenEvent", "a function", onTokenEvent);
  if (cache === undefined || cache === false) return;
  if (typeof cache !== "object" || cache === null || Array.isArray(cache)) {
    throw invalidOption("cache", "false (no caching) or an object of cache settings", cache);
  }
  for (const key of Object.keys(cache)) {
    if (!(cacheSettings as readonly string[]).includes(key)) {
      throw new EntraAuthError(
        "INVALID_OPTION",
        `The cache option has an unknown setting "${key.slice(0, 64)}"; the settings are ${cacheSettings.join(", ")}.`,
      );
    }
  }
  for (const key of cacheSettings) {
    const value = cache[key];
    if (value !== undefined && !(typeof value === "number" && value >= 0 && value <= maxTimerMs)) {
      throw invalidOption(`cache.${key}`, `a number of milliseconds from 0 to ${maxTimerMs}`, value);
    }
  }
  const initial = cache.retryInitialMs;
  const max = cache.retryMaxMs;
  if (initial !== undefined && max !== undefined && initial > max) {
    throw new EntraAuthError(
      "INVALID_OPTION",
      `The cache.retryInitialMs option (${initial}) must not exceed cache.retryMaxMs (${max}).`,
    );
  }
}
