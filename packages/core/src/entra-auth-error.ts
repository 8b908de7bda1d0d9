/**
 * Stable codes carried by {@link EntraAuthError}. Match on `code`, not on the message.
 *
 * - `CREDENTIAL_REQUIRED`: no credential, or an object that is not a `TokenCredential`.
 * - `TOKEN_ACQUISITION_FAILED`: the credential threw or returned `null`.
 * - `TOKEN_ACQUISITION_TIMEOUT`: the credential did not answer in time.
 * - `ABORTED`: the caller's abort signal fired.
 * - `INVALID_TOKEN`: the credential returned an empty or non-string token.
 * - `TOKEN_EXPIRED`: the credential returned a token that has already expired.
 * - `TOKEN_NOT_JWT`: a role name was needed but the token is not a JWT.
 * - `INVALID_SCOPE`: the `scope` option is empty or not a string.
 * - `INVALID_OPTION`: an options argument or another option has the wrong type or value.
 * - `INSECURE_CONNECTION`: a token was about to be sent without TLS, or over TLS that does not verify the server.
 * - `ROLE_NAME_UNRESOLVED`: no rule produced a PostgreSQL role name.
 *
 * @example
 * ```ts
 * import { EntraAuthError, type EntraAuthErrorCode } from "@azure/postgresql-auth-core";
 * const retryable: EntraAuthErrorCode[] = ["TOKEN_ACQUISITION_FAILED", "TOKEN_ACQUISITION_TIMEOUT"];
 * function shouldRetry(err: unknown): boolean {
 *   return EntraAuthError.isInstance(err) && retryable.includes(err.code);
 * }
 * ```
 */
export type EntraAuthErrorCode =
  | "CREDENTIAL_REQUIRED"
  | "TOKEN_ACQUISITION_FAILED"
  | "TOKEN_ACQUISITION_TIMEOUT"
  | "ABORTED"
  | "INVALID_TOKEN"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_JWT"
  | "INVALID_SCOPE"
  | "INVALID_OPTION"
  | "INSECURE_CONNECTION"
  | "ROLE_NAME_UNRESOLVED";

const marker = Symbol.for("@azure/postgresql-auth-core.EntraAuthError");

/**
 * The one error class of this project. Every failure carries a stable {@link EntraAuthErrorCode},
 * a message that says what to change, and the original error as `cause` when there is one.
 * Messages and properties never contain an access token.
 *
 * Use {@link EntraAuthError.isInstance} rather than `instanceof`: it also recognises errors
 * thrown by another copy of this package in the same process.
 *
 * @example
 * ```ts
 * import { createEntraLogin, EntraAuthError } from "@azure/postgresql-auth-core";
 * try {
 *   const { user } = await createEntraLogin(credential).login({ host: "myserver.postgres.database.azure.com" });
 *   console.log(user);
 * } catch (err) {
 *   if (EntraAuthError.isInstance(err) && err.code === "ROLE_NAME_UNRESOLVED") {
 *     console.error("Set the username option to your PostgreSQL role name");
 *   }
 *   throw err;
 * }
 * ```
 */
export class EntraAuthError extends Error {
  /** Stable code; see {@link EntraAuthErrorCode}. */
  readonly code: EntraAuthErrorCode;

  constructor(code: EntraAuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.name = "EntraAuthError";
    this.code = code;
    Object.defineProperty(this, marker, { value: true, enumerable: false });
  }

  /**
   * True for errors made by any copy of this package (unlike `instanceof`).
   *
   * @example
   * ```ts
   * if (EntraAuthError.isInstance(err)) console.error(err.code);
   * ```
   */
  static isInstance(value: unknown): value is EntraAuthError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
