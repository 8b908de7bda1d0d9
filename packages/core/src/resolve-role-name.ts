import { decodeTokenClaims, type EntraTokenClaims } from "./decode-token-claims.js";
import { EntraAuthError } from "./entra-auth-error.js";
import { describeType, invalidOption } from "./invalid-option.js";
import { logger } from "./logger.js";

/**
 * Where a role name came from; see {@link resolveRoleName} for the order.
 *
 * @example
 * ```ts
 * import type { RoleNameSource } from "@azure/postgresql-auth-core";
 * const fromToken: RoleNameSource[] = ["upn", "preferred_username", "unique_name", "xms_mirid", "appid"];
 * ```
 */
export type RoleNameSource =
  | "username"
  | "configured"
  | "upn"
  | "preferred_username"
  | "unique_name"
  | "xms_mirid"
  | "fallbackUsername"
  | "PGUSER"
  | "appid";

/**
 * Inputs of {@link resolveRoleName}.
 *
 * @example
 * ```ts
 * import type { RoleNameOptions } from "@azure/postgresql-auth-core/internal";
 * const options: RoleNameOptions = { fallbackUsername: "orders-api" };
 * ```
 *
 * @internal
 */
export interface RoleNameOptions {
  /** The role name to use, always. Wins over everything else. */
  username?: string;
  /**
   * A user name the application configured on the driver itself (for example on the Sequelize
   * instance). Used for group login: the group's role name with the member's own token.
   */
  configuredUsername?: string;
  /** Used when the token names no role. */
  fallbackUsername?: string;
  /** Environment to read `PGUSER` from. Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * A resolved role name and the rule that produced it.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * import { resolveRoleName, type ResolvedRoleName } from "@azure/postgresql-auth-core/internal";
 * const { token } = await createEntraTokenSource(credential).getAccessToken();
 * const { roleName, source }: ResolvedRoleName = resolveRoleName(token);
 * ```
 *
 * @internal
 */
export interface ResolvedRoleName {
  /** The PostgreSQL role name to log in as. */
  roleName: string;
  /** Where the role name came from (a token claim or the caller's explicit user). */
  source: RoleNameSource;
}

const claimDescriptions = {
  upn: "the token's upn claim",
  preferred_username: "the token's preferred_username claim",
  unique_name: "the token's unique_name claim",
} as const;

/**
 * Picks the PostgreSQL role name for a token. First match wins:
 *
 * 1. `username` option;
 * 2. a user name configured on the driver (`configuredUsername`), e.g. a group's role name;
 * 3. the token's `upn`, then `preferred_username`, then `unique_name` (users, guests);
 * 4. a managed identity's name: the last segment of `xms_mirid`;
 * 5. `fallbackUsername` option;
 * 6. the `PGUSER` environment variable;
 * 7. the token's `appid` (roles created under a client id).
 *
 * Each decision is logged at verbose level (never the token). Throws an {@link EntraAuthError}:
 * `TOKEN_NOT_JWT` when the claims are needed but the token is not a JWT, `ROLE_NAME_UNRESOLVED`
 * when nothing matches.
 *
 * @example
 * ```ts
 * import { createEntraTokenSource } from "@azure/postgresql-auth-core";
 * import { resolveRoleName } from "@azure/postgresql-auth-core/internal";
 * const accessToken = await createEntraTokenSource(credential).getAccessToken();
 * const { roleName, source } = resolveRoleName(accessToken.token, { fallbackUsername: "reporting" });
 * ```
 *
 * @internal
 */
export function resolveRoleName(token: string, options: RoleNameOptions = {}): ResolvedRoleName {
  if (typeof options !== "object" || options === null)
    throw invalidOption("options", "an object (or left out)", options);
  if (options.env !== undefined && (typeof options.env !== "object" || options.env === null)) {
    throw invalidOption("env", "an object of environment variables, like process.env", options.env);
  }
  const explicit = nonEmpty(options.username);
  if (explicit) return decided(explicit, "username", "the username option");
  const configured = nonEmpty(options.configuredUsername);
  if (configured) return decided(configured, "configured", "the user name configured on the driver");

  const claims = decodeTokenClaims(token);
  for (const claim of ["upn", "preferred_username", "unique_name"] as const) {
    const value = nonEmpty(claims[claim]);
    if (value) return decided(value, claim, claimDescriptions[claim]);
  }
  const identityName = managedIdentityName(claims);
  if (identityName)
    return decided(identityName, "xms_mirid", "the managed identity's name in the token's xms_mirid claim");
  const fallback = nonEmpty(options.fallbackUsername);
  if (fallback) return decided(fallback, "fallbackUsername", "the fallbackUsername option");
  const pgUser = nonEmpty((options.env ?? process.env).PGUSER);
  if (pgUser) return decided(pgUser, "PGUSER", "the PGUSER environment variable");
  const appid = nonEmpty(claims.appid);
  if (appid) return decided(appid, "appid", "the token's appid claim (client application id)");

  throw new EntraAuthError(
    "ROLE_NAME_UNRESOLVED",
    "Could not determine the PostgreSQL role name. Tried: the username option (not set), a user name configured " +
      "on the driver (none), the token's upn, preferred_username, unique_name and xms_mirid claims (absent), " +
      "the fallbackUsername option (not set), the PGUSER environment variable (not set) and the token's appid " +
      "claim (absent). Set the username option (or PGUSER) to the role created for this principal with " +
      "pgaadauth_create_principal.",
  );
}

/**
 * Checks that the role name options, when given, are non-empty strings. Throws an
 * {@link EntraAuthError} with code `INVALID_OPTION` naming the option otherwise.
 *
 * @example
 * ```ts
 * import { assertRoleNameOptions } from "@azure/postgresql-auth-core";
 * assertRoleNameOptions({ username: "alice@contoso.com" });
 * ```
 */
export function assertRoleNameOptions(options: Pick<RoleNameOptions, "username" | "fallbackUsername">): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalidOption("options", "an object (or left out)", options);
  }
  for (const name of ["username", "fallbackUsername"] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      throw new EntraAuthError(
        "INVALID_OPTION",
        `The ${name} option must be a non-empty string (the PostgreSQL role name; got ${describeType(value)}); leave it unset to read the role name from the token.`,
      );
    }
  }
}

function managedIdentityName(claims: EntraTokenClaims): string | undefined {
  const resourceId = nonEmpty(claims.xms_mirid);
  if (!resourceId) return undefined;
  const segments = resourceId.split("/").filter((s) => s !== "");
  return nonEmpty(segments[segments.length - 1]);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function decided(roleName: string, source: RoleNameSource, why: string): ResolvedRoleName {
  logger.verbose(`Role name "${roleName}" from ${why}`);
  return { roleName, source };
}
