import {
  createEntraLogin,
  type EntraLoginOptions,
  type EntraTlsOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import { dynamicPassword, type EntraDynamicPassword } from "./entra-mikro-orm-password.js";

/**
 * Options of {@link getEntraMikroOrmOptions}: host, role name rules, TLS and the token options
 * shared by every adapter.
 *
 * @example
 * ```ts
 * import type { EntraMikroOrmOptions } from "@azure/postgresql-auth-mikro-orm";
 * const settings: EntraMikroOrmOptions = { host: "myserver.postgres.database.azure.com", fallbackUsername: "orders-api" };
 * ```
 */
export interface EntraMikroOrmOptions extends Omit<EntraLoginOptions, "env" | "host"> {
  /** The server host. Default: `PGHOST`. */
  host?: string;
}

/**
 * MikroORM options to spread into `MikroORM.init()` / `defineConfig()`.
 *
 * @example
 * ```ts
 * import type { EntraMikroOrmConnection } from "@azure/postgresql-auth-mikro-orm";
 * const who = (options: EntraMikroOrmConnection) => `${options.user}@${options.host}`;
 * ```
 */
export interface EntraMikroOrmConnection {
  /** The server host name (your `host` setting, else `PGHOST`). */
  host: string;
  /** The role name to log in as (your `username` setting, else read from a token). */
  user: string;
  /** MikroORM's dynamic password: a token from the shared cache with its expiry check. */
  password: () => Promise<EntraDynamicPassword>;
  /** The TLS setting pg applies: verified TLS, or `false` where `PGSSLMODE` disables TLS. */
  driverOptions: { connection: { ssl: EntraTlsOptions | false } };
}

/**
 * Returns MikroORM options that log in with Microsoft Entra ID: the host (default `PGHOST`), the
 * role name (the `username` setting, else read from a token by the project's rules), the password
 * in MikroORM's `{ password, expirationChecker }` shape and `driverOptions.connection.ssl`
 * verifying the server's certificate (following `PGSSLMODE`/`PGSSLROOTCERT`). If you set your own
 * `driverOptions`, keep `connection.ssl`.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { getEntraMikroOrmOptions } from "@azure/postgresql-auth-mikro-orm";
 * import { MikroORM } from "@mikro-orm/postgresql";
 *
 * const orm = await MikroORM.init({
 *   ...(await getEntraMikroOrmOptions(new DefaultAzureCredential(), { host: process.env.PGHOST })),
 *   dbName: process.env.PGDATABASE,
 *   entities: [],
 *   discovery: { warnWhenNoEntities: false },
 * });
 * ```
 */
export function getEntraMikroOrmOptions(
  credential: TokenCredential,
  settings: EntraMikroOrmOptions = {},
): Promise<EntraMikroOrmConnection> {
  // The host (default PGHOST) and TLS are decided before the promise: a set-up mistake throws here.
  const login = createEntraLogin(credential, settings, "getEntraMikroOrmOptions");
  const { host, ssl } = login.prepare();
  const withRoleName = async (): Promise<EntraMikroOrmConnection> => ({
    host: host as string,
    user: await login.roleName({ host }),
    password: dynamicPassword(login, { ssl }),
    driverOptions: { connection: { ssl: ssl as EntraTlsOptions | false } },
  });
  return withRoleName();
}
