import {
  assertRoleNameOptions,
  assertTokenCredential,
  createEntraTokenSource,
  createExpirationChecker,
  EntraAuthError,
  type EntraTlsOptions,
  type EntraTlsSettings,
  type GetEntraTokenPasswordOptions,
  type RoleNameOptions,
  resolveRoleName,
  resolveTlsOptions,
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
  host?: string;
  port?: number;
  database?: string;
  /** A role name you configure yourself (e.g. a group's role): kept, unless the `username` setting is given. */
  user?: string;
  ssl?: boolean | object;
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
  host: string;
  user: string;
  password: string;
  ssl: EntraTlsOptions | boolean | object;
  expirationChecker: () => boolean;
}

/**
 * Settings of {@link entraKnexConnection}: your pg connection settings (`connection`), role name
 * rules, TLS, and the token options shared by every adapter.
 *
 * @example
 * ```ts
 * import type { EntraKnexConnectionSettings } from "@azure/postgresql-auth-knex";
 * const settings: EntraKnexConnectionSettings = { connection: { host: "myserver.postgres.database.azure.com", database: "appdb" } };
 * ```
 */
export interface EntraKnexConnectionSettings
  extends Omit<GetEntraTokenPasswordOptions, "host">,
    Pick<RoleNameOptions, "username" | "fallbackUsername">,
    EntraTlsSettings {
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
  settings: EntraKnexConnectionSettings = {},
): () => Promise<EntraKnexConnection> {
  assertTokenCredential(credential, "entraKnexConnection");
  assertRoleNameOptions(settings);
  const {
    connection = {},
    username,
    fallbackUsername,
    sslmode,
    sslrootcert,
    allowInsecureLoopback,
    ...tokenOptions
  } = settings;
  const host = (connection.host ?? process.env.PGHOST ?? "").trim();
  if (host === "")
    throw new EntraAuthError(
      "INVALID_OPTION",
      "entraKnexConnection: set connection.host (or PGHOST) to the server's host name.",
    );
  const ssl = connection.ssl === false ? plaintext(host, allowInsecureLoopback) : (connection.ssl ?? pgSsl());
  function pgSsl(): EntraTlsOptions | false {
    // pg has no "allow"/"prefer": an allowed plaintext mode is false.
    const tls = resolveTlsOptions({ sslmode, sslrootcert, allowInsecureLoopback }, host);
    return typeof tls === "object" ? tls : false;
  }
  const source = createEntraTokenSource(credential, { ...tokenOptions, host });
  return async () => {
    const { token, expiresOnTimestamp } = await source.getAccessToken();
    // A user configured on Knex's connection (e.g. a group's role) is kept, as with every adapter.
    const configuredUsername = typeof connection.user === "string" ? connection.user : undefined;
    const { roleName } = resolveRoleName(token, { username, configuredUsername, fallbackUsername });
    return {
      ...connection,
      host,
      user: roleName,
      password: token,
      ssl,
      expirationChecker: createExpirationChecker(expiresOnTimestamp),
    };
  };
}

// connection.ssl: false is plaintext, under the same rule as sslmode "disable" (with a message
// that names connection.ssl).
function plaintext(host: string, allowInsecureLoopback: boolean | undefined): false {
  try {
    resolveTlsOptions({ sslmode: "disable", allowInsecureLoopback }, host);
    return false;
  } catch (cause) {
    if (!EntraAuthError.isInstance(cause) || cause.code !== "INSECURE_CONNECTION") throw cause;
    throw new EntraAuthError(
      "INSECURE_CONNECTION",
      "entraKnexConnection: connection.ssl is false, which would send the access token without TLS. Remove it " +
        "(certificates are verified by default); for a server on this machine (a local proxy) only, set allowInsecureLoopback: true.",
      { cause },
    );
  }
}
