import {
  createEntraLogin,
  type EntraLoginOptions,
  type GetEntraTokenPasswordOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";

/**
 * Options of {@link getEntraRoleName}: where the token comes from and the role name rules.
 *
 * @example
 * ```ts
 * import type { GetEntraRoleNameOptions } from "@azure/postgresql-auth-pg";
 * const options: GetEntraRoleNameOptions = { fallbackUsername: "orders-api" };
 * ```
 */
export interface GetEntraRoleNameOptions
  extends GetEntraTokenPasswordOptions,
    Pick<EntraLoginOptions, "username" | "fallbackUsername"> {}

/**
 * The PostgreSQL role name for the credential's principal, for pg's `user` option (a plain
 * string in pg). It applies the project's role name rules: the `username` option; the token's
 * `upn`, `preferred_username`, `unique_name`; a managed identity's name from `xms_mirid`;
 * `fallbackUsername`; `PGUSER`; the token's `appid`. The host (`options.host`, else `PGHOST`)
 * selects the cloud's scope.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { entraTokenProvider, getEntraRoleName } from "@azure/postgresql-auth-pg";
 * import pg from "pg";
 *
 * const credential = new DefaultAzureCredential();
 * const pool = new pg.Pool({
 *   host: process.env.PGHOST,
 *   user: await getEntraRoleName(credential),
 *   password: entraTokenProvider(credential),
 *   ssl: { rejectUnauthorized: true },
 * });
 * ```
 */
export async function getEntraRoleName(
  credential: TokenCredential,
  options: GetEntraRoleNameOptions = {},
): Promise<string> {
  return createEntraLogin(credential, options, "getEntraRoleName").roleName();
}
