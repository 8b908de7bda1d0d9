import {
  assertTokenCredential,
  createEntraTokenSource,
  EntraAuthError,
  type GetEntraTokenPasswordOptions,
  insecureConnectionError,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";

const tokenOf = (accessToken: { token: string }): string => accessToken.token;

/**
 * Options of {@link entraTokenProvider}: the scope (default: Azure Database for PostgreSQL's,
 * per cloud), the server host to pick the cloud from, the tenant, the token cache settings, and
 * whether a token may go to a loopback server without TLS.
 *
 * @example
 * ```ts
 * import type { EntraTokenProviderOptions } from "@azure/postgresql-auth-pg";
 * const options: EntraTokenProviderOptions = { scope: "https://ossrdbms-aad.database.usgovcloudapi.net/.default" };
 * ```
 */
export interface EntraTokenProviderOptions extends GetEntraTokenPasswordOptions {
  /**
   * Allow sending the token over a connection without TLS when the server is on this machine: a
   * loopback address (`localhost`, `127.0.0.0/8`, `::1`) or a Unix socket, for example a local
   * authentication proxy that opens the TLS connection to Azure itself. Default `false`: the token
   * is sent only over TLS. It never allows plaintext to another host.
   */
  allowInsecureLoopback?: boolean;
}

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
 * The token is a password the server receives in clear text, so it is only handed to a connection
 * that uses TLS: when pg says the connection has no TLS (`ssl: false`, `PGSSLMODE=disable`, or
 * `sslmode=disable` in the connection string) the connection fails with an `EntraAuthError` of
 * code `INSECURE_CONNECTION` before any token is fetched. For a server on this machine (a local
 * proxy) set `allowInsecureLoopback: true`. pg before 8.19 tells the function nothing about the
 * connection, so there the check cannot run.
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
  const allowInsecureLoopback = options.allowInsecureLoopback ?? false;
  if (typeof allowInsecureLoopback !== "boolean") {
    throw new EntraAuthError(
      "INVALID_OPTION",
      `The allowInsecureLoopback option must be a boolean (got ${typeof allowInsecureLoopback}).`,
    );
  }
  return (connectionParameters?: PgConnectionParametersLike): Promise<string> => {
    const refusal = insecureConnectionRefusal(connectionParameters, allowInsecureLoopback);
    if (refusal !== undefined) return Promise.reject(refusal);
    const host = connectionParameters?.host;
    return source.getAccessToken(typeof host === "string" ? { host } : undefined).then(tokenOf);
  };
}

/**
 * The error for a connection without TLS, or undefined when the token may be sent: pg ≥ 8.19
 * passes its `ConnectionParameters`, whose `ssl` is what pg will use (the `ssl` option, else
 * `sslmode` from the connection string, else `PGSSLMODE`, else false). Without them nothing is
 * known (older pg, other callers) and nothing is refused.
 */
function insecureConnectionRefusal(
  parameters: PgConnectionParametersLike | undefined,
  allowInsecureLoopback: boolean,
): EntraAuthError | undefined {
  if (typeof parameters !== "object" || parameters === null || !("ssl" in parameters) || parameters.ssl)
    return undefined;
  const host = typeof parameters.host === "string" ? parameters.host : "localhost";
  const where = host.startsWith("/")
    ? `the Unix socket in ${host}`
    : `${host}${parameters.port ? `:${parameters.port}` : ""}`;
  const fromEnv = process.env.PGSSLMODE === "disable" ? " (PGSSLMODE=disable is set in the environment)" : "";
  return insecureConnectionError(
    host,
    allowInsecureLoopback,
    `entraTokenProvider refused to send an access token to ${where}: the connection does not use TLS${fromEnv}`,
    "set pg's ssl option to { rejectUnauthorized: true } (or PGSSLMODE=verify-full) and remove ssl: false / sslmode=disable.",
  );
}
