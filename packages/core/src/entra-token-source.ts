import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { assertTokenCredential } from "./assert-token-credential.js";
import { getEntraToken } from "./get-entra-token.js";
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
  /** Aborts the request. */
  abortSignal?: AbortSignal;
}

/**
 * Gives adapters a valid access token for each new connection. Made by
 * {@link createEntraTokenSource}.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * const source = createEntraTokenSource(credential, {}, "myAdapter");
 * const { token } = await source.getAccessToken({ host: "db.postgres.database.azure.com" });
 * ```
 */
export interface EntraTokenSource {
  getAccessToken(context?: EntraTokenRequestContext): Promise<AccessToken>;
}

/**
 * Checks the credential and options at once (so that set-up fails early, with an
 * {@link EntraAuthError} naming the fix) and returns the {@link EntraTokenSource} that adapters
 * call on every new connection. `caller` names the public function in error messages.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * const source = createEntraTokenSource(credential, { scope: "api://custom/.default" }, "myAdapter");
 * ```
 */
export function createEntraTokenSource(
  credential: TokenCredential,
  options: GetEntraTokenPasswordOptions,
  caller: string,
): EntraTokenSource {
  assertTokenCredential(credential, caller);
  const configuredScopes = options.scope === undefined ? undefined : resolveScopes({ scope: options.scope });
  const { tenantId } = options;
  return {
    getAccessToken(context: EntraTokenRequestContext = {}): Promise<AccessToken> {
      const scopes = configuredScopes ?? resolveScopes({ host: options.host ?? context.host });
      return getEntraToken(credential, scopes, {
        ...(tenantId !== undefined && { tenantId }),
        ...(context.abortSignal !== undefined && { abortSignal: context.abortSignal }),
      });
    },
  };
}
