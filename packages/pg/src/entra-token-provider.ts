import {
  createEntraLogin,
  type EntraLoginTlsOptions,
  type EntraPassword,
  type GetEntraTokenPasswordOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";

/**
 * Options of {@link entraTokenProvider}: the scope (default: Azure Database for PostgreSQL's,
 * per cloud), the server host to pick the cloud from, the tenant, the token cache settings, and
 * the two explicit exceptions to "verified TLS only".
 *
 * @example
 * ```ts
 * import type { EntraTokenProviderOptions } from "@azure/postgresql-auth-pg";
 * const options: EntraTokenProviderOptions = { scope: "https://ossrdbms-aad.database.usgovcloudapi.net/.default" };
 * ```
 */
export interface EntraTokenProviderOptions
  extends GetEntraTokenPasswordOptions,
    Pick<EntraLoginTlsOptions, "allowInsecureLoopback" | "allowUnverifiedTls"> {}

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

const passwordOf = (result: EntraPassword): string => result.password;

/** What a refusal names: pg reads its TLS from these three places, in this order. */
const pgSslSetting = "pg's ssl (the ssl option, else sslmode in the connection string, else PGSSLMODE)";

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
 * The token is a password the server receives in clear text, so it only goes over TLS that
 * verifies the server: when pg will connect without TLS (`ssl: false`, no TLS setting,
 * `PGSSLMODE=disable`) or without checking the certificate (`rejectUnauthorized: false`,
 * `PGSSLMODE=no-verify`), the connection fails with an `EntraAuthError` of code
 * `INSECURE_CONNECTION` before any token is fetched (the core's one TLS rule; opt-ins:
 * `allowInsecureLoopback` for a proxy on this machine, `allowUnverifiedTls`). pg before 8.19 tells
 * the function nothing about the connection, so there the check cannot run.
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
  const login = createEntraLogin(credential, options, "entraTokenProvider");
  return (parameters?: PgConnectionParametersLike): Promise<string> => {
    // pg < 8.19 passes nothing: the connection is unknown, only the token is asked for.
    if (typeof parameters !== "object" || parameters === null)
      return login.password({ tls: "unknown" }).then(passwordOf);
    const { host, port, ssl } = parameters;
    const tls = "ssl" in parameters ? { ssl, setting: pgSslSetting } : ("unknown" as const);
    return login.password({ host, port, tls }).then(passwordOf);
  };
}
