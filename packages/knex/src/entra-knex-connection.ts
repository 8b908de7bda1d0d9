import {
  createEntraLogin,
  type EntraLoginOptions,
  type EntraTlsOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";

/**
 * The part of Knex's pg connection settings this package passes through (`database`, `port`,
 * `application_name`, `ssl`, ...); typed by shape so Knex is not a runtime dependency.
 *
 * @example
 * ```ts
 * import type { KnexPgConnectionLike } from "@azure/postgresql-auth-knex";
 * const connection: KnexPgConnectionLike = { host: "myserver.postgres.database.azure.com", database: "appdb" };
 * ```
 */
export interface KnexPgConnectionLike {
  /** Server host name; defaults to `PGHOST`. */
  host?: string;
  /** Server port. */
  port?: number;
  /** Database to connect to. */
  database?: string;
  /** A role name you configure yourself (e.g. a group's role): kept, unless the `username` setting is given. */
  user?: string;
  /** pg's TLS setting; defaults to verified TLS (following `PGSSLMODE`/`PGSSLROOTCERT`). */
  ssl?: boolean | object;
  /** Any other pg connection setting, passed through unchanged. */
  [setting: string]: unknown;
}

/**
 * What the connection provider resolves to: your settings plus host, role name, token, TLS and
 * Knex's `expirationChecker`.
 *
 * @example
 * ```ts
 * import type { EntraKnexConnection } from "@azure/postgresql-auth-knex";
 * const expired = (connection: EntraKnexConnection) => connection.expirationChecker();
 * ```
 */
export interface EntraKnexConnection extends KnexPgConnectionLike {
  /** The server host name resolved for this connection. */
  host: string;
  /** The role name to log in as (your `username` setting, else read from the token). */
  user: string;
  /** A fresh access token from the shared cache. */
  password: string;
  /** The TLS options pg applies (verified TLS unless you configured otherwise). */
  ssl: EntraTlsOptions | boolean | object;
  /** Tells Knex when the token is about to expire so it builds a new connection object. */
  expirationChecker: () => boolean;
}

/**
 * Options of {@link entraKnexConnection}: your pg connection settings (`connection`), role name
 * rules, TLS, and the token options shared by every adapter.
 *
 * @example
 * ```ts
 * import type { EntraKnexOptions } from "@azure/postgresql-auth-knex";
 * const settings: EntraKnexOptions = { connection: { host: "myserver.postgres.database.azure.com", database: "appdb" } };
 * ```
 */
export interface EntraKnexOptions extends Omit<EntraLoginOptions, "env" | "host"> {
  /** pg connection settings for every connection. `host` defaults to `PGHOST`; `ssl` to verified TLS. */
  connection?: KnexPgConnectionLike;
}

/**
 * A Knex async connection provider (`knex({ client: "pg", connection })`) that logs in with
 * Microsoft Entra ID: each call returns your settings with the role name (the `username` setting,
 * else `connection.user`, else from the token), the cached token as password, TLS verifying the certificate and an
 * `expirationChecker`, so Knex (≥ 3.2) asks again for new connections once the token is about to
 * expire. The host selects the cloud's scope. Checks the credential and TLS now.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { entraKnexConnection } from "@azure/postgresql-auth-knex";
 * import knex from "knex";
 *
 * const db = knex({
 *   client: "pg",
 *   connection: entraKnexConnection(new DefaultAzureCredential(), {
 *     connection: { host: process.env.PGHOST, database: process.env.PGDATABASE },
 *   }),
 * });
 * ```
 */
export function entraKnexConnection(
  credential: TokenCredential,
  settings: EntraKnexOptions = {},
): () => Promise<EntraKnexConnection> {
  const { connection = {}, ...options } = settings;
  const login = createEntraLogin(credential, options, "entraKnexConnection");
  // Host (default PGHOST) and TLS are decided now: connection.ssl as pg will use it, else the
  // sslmode setting, else PGSSLMODE, else verified TLS.
  const tls = connection.ssl === undefined ? undefined : { ssl: connection.ssl, setting: "connection.ssl" };
  const { host, ssl } = login.prepare({ host: connection.host, port: connection.port, tls });
  // A user configured on Knex's connection (e.g. a group's role) is kept, as with every adapter.
  const configuredUser = typeof connection.user === "string" ? connection.user : undefined;
  return async () => {
    const result = await login.login({ host, port: connection.port, tls: { ssl }, configuredUser });
    return {
      ...connection,
      host: host as string,
      user: result.user,
      password: result.password,
      ssl: ssl as EntraTlsOptions | false,
      expirationChecker: () => Date.now() >= result.reuseUntilTimestamp,
    };
  };
}
