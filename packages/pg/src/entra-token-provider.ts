import {
  assertTokenCredential,
  createEntraTokenSource,
  type GetEntraTokenPasswordOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";

const tokenOf = (accessToken: { token: string }): string => accessToken.token;

/**
 * Options of {@link entraTokenProvider}: the scope (default: Azure Database for PostgreSQL's,
 * per cloud), the server host to pick the cloud from, and the tenant.
 *
 * @example
 * ```ts
 * import type { EntraTokenProviderOptions } from "@azure/postgresql-auth-pg";
 * const options: EntraTokenProviderOptions = { scope: "https://ossrdbms-aad.database.usgovcloudapi.net/.default" };
 * ```
 */
export interface EntraTokenProviderOptions extends GetEntraTokenPasswordOptions {}

/**
 * A pg password function: pg calls it for every new physical connection (with the connection
 * parameters since pg 8.19) and sends what it resolves to as the password.
 *
 * @example
 * ```ts
 * import { entraTokenProvider, type EntraPasswordFunction } from "@azure/postgresql-auth-pg";
 * const password: EntraPasswordFunction = entraTokenProvider(credential);
 * ```
 */
export type EntraPasswordFunction = (connectionParameters?: PgConnectionParametersLike) => Promise<string>;

/**
 * Returns a password function for `pg.Pool` / `pg.Client` (and anything else that accepts a
 * pg-style password function) that resolves to an Entra ID access token for each new physical
 * connection. The credential and options are checked now, so a missing credential or an empty
 * scope fails here with an `EntraAuthError` rather than at the first connection.
 *
 * The scope defaults to Azure Database for PostgreSQL's public cloud scope; a US Government or
 * China host (from `options.host`, or from the connection parameters pg ≥ 8.19 passes) selects
 * that cloud's scope. `options.scope` overrides both.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { entraTokenProvider } from "@azure/postgresql-auth-pg";
 * import pg from "pg";
 *
 * const pool = new pg.Pool({
 *   host: process.env.PGHOST,
 *   user: process.env.PGUSER, // your Entra role name, e.g. "alice@contoso.com"
 *   password: entraTokenProvider(new DefaultAzureCredential()),
 *   ssl: { rejectUnauthorized: true },
 * });
 * ```
 */
export function entraTokenProvider(
  credential: TokenCredential,
  options: EntraTokenProviderOptions = {},
): EntraPasswordFunction {
  assertTokenCredential(credential, "entraTokenProvider");
  const source = createEntraTokenSource(credential, options);
  return (connectionParameters?: PgConnectionParametersLike): Promise<string> => {
    const host = connectionParameters?.host;
    return source.getAccessToken(typeof host === "string" ? { host } : undefined).then(tokenOf);
  };
}
