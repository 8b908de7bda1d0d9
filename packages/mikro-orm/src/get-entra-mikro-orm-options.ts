import {
  assertRoleNameOptions,
  assertTokenCredential,
  EntraAuthError,
  type EntraTlsOptions,
  type EntraTlsSettings,
  type GetEntraTokenPasswordOptions,
  type RoleNameOptions,
  resolveRoleName,
  resolveTlsOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import { type EntraDynamicPassword, entraMikroOrmPassword } from "./entra-mikro-orm-password.js";

/**
 * Settings of {@link getEntraMikroOrmOptions}: host, role name rules, TLS and the token options
 * shared by every adapter.
 *
 * @example
 * ```ts
 * import type { EntraMikroOrmSettings } from "@azure/postgresql-auth-mikro-orm";
 * const settings: EntraMikroOrmSettings = { host: "myserver.postgres.database.azure.com", fallbackUsername: "orders-api" };
 * ```
 */
export interface EntraMikroOrmSettings
  extends GetEntraTokenPasswordOptions,
    Pick<RoleNameOptions, "username" | "fallbackUsername">,
    EntraTlsSettings {}

/**
 * MikroORM options to spread into `MikroORM.init()` / `defineConfig()`.
 *
 * @example
 * ```ts
 * import type { EntraMikroOrmOptions } from "@azure/postgresql-auth-mikro-orm";
 * const who = (options: EntraMikroOrmOptions) => `${options.user}@${options.host}`;
 * ```
 */
export interface EntraMikroOrmOptions {
  host: string;
  user: string;
  password: () => Promise<EntraDynamicPassword>;
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
  settings: EntraMikroOrmSettings = {},
): Promise<EntraMikroOrmOptions> {
  assertTokenCredential(credential, "getEntraMikroOrmOptions");
  assertRoleNameOptions(settings);
  const { sslmode, sslrootcert, allowInsecureLoopback, username, fallbackUsername, ...tokenOptions } = settings;
  const host = (settings.host ?? process.env.PGHOST ?? "").trim();
  if (host === "")
    throw new EntraAuthError(
      "INVALID_OPTION",
      "getEntraMikroOrmOptions: set the host option (or PGHOST) to the server's host name.",
    );
  const tls = resolveTlsOptions({ sslmode, sslrootcert, allowInsecureLoopback }, host);
  const ssl = typeof tls === "object" ? tls : false; // pg has no "allow"/"prefer"
  const password = entraMikroOrmPassword(credential, { ...tokenOptions, host });
  // Everything above throws at once (set-up mistakes fail the call, not a promise). The token is
  // needed only when the role name has to come from it (an explicit username wins).
  const withRoleName = async (): Promise<EntraMikroOrmOptions> => {
    const token = username === undefined ? (await password()).password : "";
    const { roleName } = resolveRoleName(token, { username, fallbackUsername });
    return { host, user: roleName, password, driverOptions: { connection: { ssl } } };
  };
  return withRoleName();
}
