import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { EntraAuthError } from "./entra-auth-error.js";
import { logger } from "./logger.js";
import { redactTokens } from "./redact-tokens.js";

/**
 * Per-call options of {@link getEntraToken}.
 *
 * @example
 * ```ts
 * import type { GetEntraTokenOptions } from "@azure/postgresql-auth-core";
 * const options: GetEntraTokenOptions = { abortSignal: AbortSignal.timeout(10_000) };
 * ```
 */
export interface GetEntraTokenOptions {
  /** Tenant to request the token from. */
  tenantId?: string;
  /** Aborts the request. */
  abortSignal?: AbortSignal;
}

/**
 * Asks `credential` for a token once and checks what comes back: the credential's own error
 * becomes an {@link EntraAuthError} (`TOKEN_ACQUISITION_FAILED`, original error as `cause`),
 * and a `null` answer, an empty or non-string token (`INVALID_TOKEN`) or an expired token
 * (`TOKEN_EXPIRED`) are refused. Nothing is cached here.
 *
 * @example
 * ```ts
 * import { getEntraToken, DEFAULT_SCOPE } from "@azure/postgresql-auth-core";
 * const { token, expiresOnTimestamp } = await getEntraToken(credential, [DEFAULT_SCOPE]);
 * ```
 */
export async function getEntraToken(
  credential: TokenCredential,
  scopes: string[],
  options: GetEntraTokenOptions = {},
): Promise<AccessToken> {
  const scopeText = scopes.join(" ");
  let accessToken: AccessToken | null;
  try {
    const getTokenOptions: { tenantId?: string; abortSignal?: AbortSignal } = {};
    if (options.tenantId !== undefined) getTokenOptions.tenantId = options.tenantId;
    if (options.abortSignal !== undefined) getTokenOptions.abortSignal = options.abortSignal;
    accessToken = await credential.getToken(scopes, getTokenOptions);
  } catch (cause) {
    const reason = redactTokens(cause instanceof Error ? cause.message : String(cause));
    logger.warning(`Token request for scope ${scopeText} failed: ${reason}`);
    throw new EntraAuthError(
      "TOKEN_ACQUISITION_FAILED",
      `Failed to acquire Entra ID token for scope ${scopeText}: ${reason}. ` +
        "Check that the credential can sign in here (for DefaultAzureCredential: `az login`, a managed identity, " +
        "or the AZURE_CLIENT_ID / AZURE_TENANT_ID environment variables).",
      { cause },
    );
  }
  if (accessToken === null || accessToken === undefined) {
    throw new EntraAuthError(
      "TOKEN_ACQUISITION_FAILED",
      `Failed to acquire Entra ID token for scope ${scopeText}: the credential returned null. ` +
        "Check that the credential is signed in and allowed to request this scope.",
    );
  }
  const { token, expiresOnTimestamp } = accessToken;
  if (typeof token !== "string" || token.trim() === "") {
    throw new EntraAuthError(
      "INVALID_TOKEN",
      `The credential returned ${typeof token === "string" ? "an empty" : `a non-string (${typeof token})`} ` +
        `access token for scope ${scopeText}. Check the credential implementation: getToken must resolve to { token: string, expiresOnTimestamp: number }.`,
    );
  }
  if (typeof expiresOnTimestamp === "number" && Number.isFinite(expiresOnTimestamp) && expiresOnTimestamp <= Date.now()) {
    throw new EntraAuthError(
      "TOKEN_EXPIRED",
      `The credential returned an access token that expired at ${new Date(expiresOnTimestamp).toISOString()} ` +
        `for scope ${scopeText}. Check the machine's clock and the credential's own token cache.`,
    );
  }
  logger.verbose(
    `Acquired Entra ID token for scope ${scopeText}, expires at ${describeExpiry(expiresOnTimestamp)}`,
  );
  return accessToken;
}

function describeExpiry(expiresOnTimestamp: number): string {
  if (typeof expiresOnTimestamp !== "number" || !Number.isFinite(expiresOnTimestamp)) return "an unknown time";
  const seconds = Math.round((expiresOnTimestamp - Date.now()) / 1000);
  return `${new Date(expiresOnTimestamp).toISOString()} (in ${seconds} s)`;
}
