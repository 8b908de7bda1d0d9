import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { decodeTokenClaims } from "./decode-token-claims.js";
import { EntraAuthError } from "./entra-auth-error.js";
import { invalidOption } from "./invalid-option.js";
import { logger } from "./logger.js";
import { redactError } from "./redact-error.js";
import { classifyTransient, transientFailures } from "./transient-failure.js";
import { withExpiry } from "./with-expiry.js";

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
  /** Tracing context passed to the credential, so that its own spans (`@azure/identity`) nest under the caller's. */
  tracingOptions?: GetTokenOptions["tracingOptions"];
}

/**
 * Asks `credential` for a token once and checks what comes back: the credential's own error
 * becomes an {@link EntraAuthError} (`TOKEN_ACQUISITION_FAILED`, original error as `cause`),
 * and a `null` answer, an empty or non-string token (`INVALID_TOKEN`) or an expired token
 * (`TOKEN_EXPIRED`) are refused. Nothing is cached here.
 *
 * The returned token's `expiresOnTimestamp` is the effective expiry: the earlier of the
 * credential's value and the JWT's `exp` claim (a value in seconds or microseconds is replaced by
 * `exp`, with a warning). The `cause` of an error is a redacted copy of the credential's error
 * (class name, message, `code`, `statusCode`, its own cause chain), never the original object.
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
  assertGetEntraTokenOptions(options);
  const scopeText = scopes.join(" ");
  let accessToken: AccessToken | null;
  try {
    const getTokenOptions: GetTokenOptions = {};
    if (options.tenantId !== undefined) getTokenOptions.tenantId = options.tenantId;
    if (options.abortSignal !== undefined) getTokenOptions.abortSignal = options.abortSignal;
    if (options.tracingOptions !== undefined) getTokenOptions.tracingOptions = options.tracingOptions;
    accessToken = await credential.getToken(scopes, getTokenOptions);
  } catch (thrown) {
    // Not logged here: the caller (the token cache) logs each failure once, saying what happens next.
    const cause = redactError(thrown);
    const error = new EntraAuthError(
      "TOKEN_ACQUISITION_FAILED",
      `Failed to acquire Entra ID token for scope ${scopeText}: ${sentence(cause.message)} ` +
        "Check that the credential can sign in here (for DefaultAzureCredential: `az login`, a managed identity, " +
        "or the AZURE_CLIENT_ID / AZURE_TENANT_ID environment variables).",
      { cause },
    );
    const transient = classifyTransient(thrown);
    if (transient !== undefined) transientFailures.set(error, transient);
    throw error;
  }
  if (accessToken === null || accessToken === undefined) {
    throw new EntraAuthError(
      "TOKEN_ACQUISITION_FAILED",
      `Failed to acquire Entra ID token for scope ${scopeText}: the credential returned null. ` +
        "Check that the credential is signed in and allowed to request this scope.",
    );
  }
  const { token } = accessToken;
  if (typeof token !== "string" || token.trim() === "") {
    throw new EntraAuthError(
      "INVALID_TOKEN",
      `The credential returned ${typeof token === "string" ? "an empty" : `a non-string (${typeof token})`} ` +
        `access token for scope ${scopeText}. Check the credential implementation: getToken must resolve to { token: string, expiresOnTimestamp: number }.`,
    );
  }
  const expiresOnTimestamp = effectiveExpiry(accessToken, scopeText);
  if (expiresOnTimestamp <= Date.now()) {
    throw new EntraAuthError(
      "TOKEN_EXPIRED",
      `The credential returned an access token that expired at ${new Date(expiresOnTimestamp).toISOString()} ` +
        `for scope ${scopeText}. Check the machine's clock and the credential's own token cache.`,
    );
  }
  logger.verbose(`Acquired Entra ID token for scope ${scopeText}, expires at ${describeExpiry(expiresOnTimestamp)}`);
  return expiresOnTimestamp === accessToken.expiresOnTimestamp
    ? accessToken
    : withExpiry(accessToken, expiresOnTimestamp);
}

/** A milliseconds timestamp before this (1973) is almost surely seconds; after this (year 5138), microseconds. */
const plausibleMs = { min: 1e11, max: 1e14 };

/**
 * When the token really expires: the earlier of the credential's `expiresOnTimestamp` and the
 * JWT's `exp` claim. An `expiresOnTimestamp` that is missing, not a number, or in seconds or
 * microseconds is named in a warning and replaced by `exp`; without `exp` it is an `INVALID_TOKEN`.
 */
function effectiveExpiry(accessToken: AccessToken, scopeText: string): number {
  const given: unknown = accessToken.expiresOnTimestamp;
  const exp = jwtExpiry(accessToken.token);
  let problem: string | undefined;
  if (typeof given !== "number" || !Number.isFinite(given)) {
    problem = `expiresOnTimestamp is ${typeof given === "number" ? String(given) : typeof given === "undefined" ? "missing" : `a ${typeof given}`}`;
  } else if (given > 0 && given < plausibleMs.min) {
    problem = `expiresOnTimestamp ${given} looks like seconds since the epoch, not milliseconds`;
  } else if (given > plausibleMs.max) {
    problem = `expiresOnTimestamp ${given} looks like microseconds since the epoch, not milliseconds`;
  }
  if (problem === undefined) return exp === undefined ? (given as number) : Math.min(given as number, exp);
  if (exp === undefined) {
    throw new EntraAuthError(
      "INVALID_TOKEN",
      `The credential returned an access token for scope ${scopeText} whose ${problem}, and the token has no exp claim, ` +
        "so its expiry is unknown. Check the credential implementation: expiresOnTimestamp must be milliseconds since the epoch.",
    );
  }
  logger.warning(
    `The credential returned an access token for scope ${scopeText} whose ${problem}; using the token's exp claim ` +
      `(${new Date(exp).toISOString()}) instead. Fix the credential: expiresOnTimestamp must be milliseconds since the epoch`,
  );
  return exp;
}

/** The JWT's `exp` claim in milliseconds, or undefined for a token that is not a JWT or has no usable `exp`. */
function jwtExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeTokenClaims(token);
    return typeof exp === "number" && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Longest part of a credential's message quoted in ours (the cause keeps all of it, redacted). */
const maxQuotedChars = 2_000;

/** A foreign message as one sentence: trimmed, at most 2,000 characters, ending in exactly one full stop. */
function sentence(full: string): string {
  const text =
    full.length > maxQuotedChars
      ? `${full.slice(0, maxQuotedChars)} [… ${full.length - maxQuotedChars} more characters in cause]`
      : full;
  let end = text.length;
  while (end > 0 && (text[end - 1] === "." || text[end - 1]!.trim() === "")) end -= 1;
  const trimmed = text.slice(0, end).trim();
  return `${trimmed === "" ? "no message" : trimmed}.`;
}

function assertGetEntraTokenOptions(options: unknown): asserts options is GetEntraTokenOptions {
  if (typeof options !== "object" || options === null) throw invalidOption("options", "an object", options);
  const { tenantId, abortSignal } = options as GetEntraTokenOptions;
  if (tenantId !== undefined && (typeof tenantId !== "string" || tenantId.trim() === "")) {
    throw invalidOption("tenantId", "a non-empty string (a tenant id or domain)", tenantId);
  }
  if (
    abortSignal !== undefined &&
    !(
      typeof abortSignal === "object" &&
      abortSignal !== null &&
      typeof (abortSignal as AbortSignal).addEventListener === "function"
    )
  ) {
    throw invalidOption("abortSignal", "an AbortSignal", abortSignal);
  }
}

function describeExpiry(expiresOnTimestamp: number): string {
  const seconds = Math.round((expiresOnTimestamp - Date.now()) / 1000);
  return `${new Date(expiresOnTimestamp).toISOString()} (in ${seconds} s)`;
}
