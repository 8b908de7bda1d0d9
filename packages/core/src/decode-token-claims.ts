import { EntraAuthError } from "./entra-auth-error.js";

/**
 * The claims of an Entra ID access token that this project reads. Other claims are kept too.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * import { decodeTokenClaims, type EntraTokenClaims } from "@azure/postgresql-auth-core/internal";
 * const { token } = await createEntraTokenSource(credential).getAccessToken();
 * const claims: EntraTokenClaims = decodeTokenClaims(token);
 * console.log(claims.oid);
 * ```
 *
 * @internal
 */
export interface EntraTokenClaims {
  /** User principal name (users in their home tenant). */
  upn?: string;
  /** Sign-in name (v2 tokens; guests). */
  preferred_username?: string;
  /** Sign-in name (v1 tokens; guests). */
  unique_name?: string;
  /** Azure resource id of a managed identity. */
  xms_mirid?: string;
  /** Client application id. For a user token this is the app the user signed in with, not the user. */
  appid?: string;
  /** Object id of the principal: what Azure matches roles by. */
  oid?: string;
  /** Tenant id. */
  tid?: string;
  /** Expiry, seconds since the epoch. */
  exp?: number;
  /** Any other claim in the token, unchecked. */
  [claim: string]: unknown;
}

/**
 * Reads the payload of a JWT access token without checking its signature (the server does
 * that). Throws an {@link EntraAuthError} with code `TOKEN_NOT_JWT` when the token is not a
 * JWT; the message never contains the token.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * import { decodeTokenClaims } from "@azure/postgresql-auth-core/internal";
 * const accessToken = await createEntraTokenSource(credential).getAccessToken();
 * const { upn, oid } = decodeTokenClaims(accessToken.token);
 * ```
 *
 * @internal
 */
export function decodeTokenClaims(token: string): EntraTokenClaims {
  const parts = typeof token === "string" ? token.split(".") : [];
  let claims: unknown;
  if (parts.length === 3 && parts[1]) {
    try {
      claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    } catch {
      claims = undefined;
    }
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new EntraAuthError(
      "TOKEN_NOT_JWT",
      "The access token is not a JWT, so the PostgreSQL role name cannot be read from it. " +
        "Set the username option to your role name, or use a credential that returns Entra ID access tokens.",
    );
  }
  return claims as EntraTokenClaims;
}
