import {
  createEntraLogin,
  type EntraLoginOptions,
  type EntraTlsOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import { createPasswordFailureReporter } from "./create-password-failure-reporter.js";

/**
 * Options of {@link getEntraPostgresOptions}: the server host (bound to the password function,
 * because postgres.js calls it with no arguments), the role name rules, TLS, and the token options
 * shared by every adapter (`scope`, `tenantId`, `cache`, `timeoutMs`, `onTokenEvent`).
 *
 * @example
 * ```ts
 * import type { EntraPostgresOptions } from "@azure/postgresql-auth-postgres";
 * const settings: EntraPostgresOptions = { host: "myserver.postgres.database.usgovcloudapi.net", username: "orders-api" };
 * ```
 */
export interface EntraPostgresOptions extends Omit<EntraLoginOptions, "env"> {}

/**
 * Connection options for `postgres()`, to spread into your own options.
 *
 * @example
 * ```ts
 * import type { EntraPostgresConnection } from "@azure/postgresql-auth-postgres";
 * function describe(options: EntraPostgresConnection): string {
 *   return `${options.username}@${options.host}`;
 * }
 * ```
 */
export interface EntraPostgresConnection {
  /** The host setting (an array joined with commas, postgres.js's multi-host form). */
  host: string;
  /** The role name postgres.js logs in as (from the token or your explicit `username`). */
  username: string;
  /**
   * postgres.js calls it for every authentication (reconnects included); tokens come from the
   * shared cache. It never rejects: postgres.js 3.4 leaves a rejected password promise unhandled
   * (the process exits). Without a token it emits a Node.js warning (`EntraAuthWarning`, with the
   * error's code, once per distinct failure) and resolves to an empty password, which the server
   * refuses, so the query fails instead.
   */
  password: () => Promise<string>;
  /** Verified TLS options, or (only with `allowInsecureLoopback` and loopback hosts) `false`. */
  ssl: EntraTlsOptions | false;
}

/**
 * Returns postgres.js options that log in with Microsoft Entra ID: the host, the role name (the
 * `username` setting, else from the token by the project's rules), a password function bound to
 * the host's cloud (postgres.js passes it nothing) and `ssl` verifying the server's certificate,
 * following `PGSSLMODE`/`PGSSLROOTCERT` (which postgres.js ignores). Spread them into your own
 * options; they work for Drizzle on postgres-js too.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { getEntraPostgresOptions } from "@azure/postgresql-auth-postgres";
 * import postgres from "postgres";
 *
 * const sql = postgres({
 *   ...(await getEntraPostgresOptions(new DefaultAzureCredential(), { host: process.env.PGHOST })),
 *   database: process.env.PGDATABASE,
 * });
 * ```
 */
export function getEntraPostgresOptions(
  credential: TokenCredential,
  settings: EntraPostgresOptions = {},
): Promise<EntraPostgresConnection> {
  const login = createEntraLogin(credential, settings, "getEntraPostgresOptions");
  const failures = createPasswordFailureReporter();
  const { host, ssl } = login.prepare(); // host and TLS now: a set-up mistake throws, not a promise
  const withRoleName = async (): Promise<EntraPostgresConnection> => {
    const username = await login.roleName({ host });
    const password = async (): Promise<string> => {
      try {
        const result = await login.password({ host, tls: { ssl } });
        failures.succeeded();
        return result.password;
      } catch (error) {
        failures.failed(error);
        return "";
      }
    };
    return { host: host as string, username, password, ssl: ssl as EntraTlsOptions | false };
  };
  return withRoleName();
}
