import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { assertTokenCredential } from "./assert-token-credential.js";
import { EntraAuthError } from "./entra-auth-error.js";
import { entraTokenCacheKey, sharedTokenCache, type EntraTokenCacheRequest } from "./entra-token-cache.js";
import type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
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
  getAccessToken(context?: EntraTokenRequestContext): Promise<AccessToken>;
}

/**
 * Checks the credential and options at once (so that set-up fails early, with an
 * {@link EntraAuthError} naming the fix) and returns the {@link EntraTokenSource} that adapters
 * call on every new connection. Tokens come from the shared cache (refresh-ahead, single-flight)
 * unless `options.cache` is `false`. The token it returns carries its expiry
 * (`expiresOnTimestamp`), for drivers that want to know when to ask again.
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
  assertCacheOptions(options);
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
      const request = requestFor(context?.host);
      const abortSignal = context?.abortSignal;
      return sharedTokenCache.getToken(credential, abortSignal === undefined ? request : { ...request, abortSignal });
    },
  };
}

function assertCacheOptions(options: GetEntraTokenPasswordOptions): void {
  const invalid = (option: string, expected: string) =>
    new EntraAuthError("INVALID_OPTION", `The ${option} option must be ${expected}.`);
  const { cache, timeoutMs, onTokenEvent } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw invalid("timeoutMs", "a positive number of milliseconds");
  }
  if (onTokenEvent !== undefined && typeof onTokenEvent !== "function") throw invalid("onTokenEvent", "a function");
  if (cache === undefined || cache === false) return;
  if (typeof cache !== "object" || cache === null) {
    throw invalid("cache", "false (no caching) or an object of cache settings");
  }
  for (const key of ["refreshBeforeExpiryMs", "expiryMarginMs", "retryInitialMs", "retryMaxMs"] as const) {
    const value = cache[key];
    if (value !== undefined && !(typeof value === "number" && value >= 0 && Number.isFinite(value))) {
      throw invalid(`cache.${key}`, "a number of milliseconds, zero or more");
    }
  }
}
