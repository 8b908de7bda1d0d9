import {
  createEntraLogin,
  type EntraLogin,
  type EntraPassword,
  type GetEntraTokenPasswordOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";

/**
 * MikroORM's `DynamicPassword`: the password and a function that tells Knex when to ask again.
 *
 * @example
 * ```ts
 * import type { EntraDynamicPassword } from "@azure/postgresql-auth-mikro-orm";
 * const needsNewToken = (p: EntraDynamicPassword) => p.expirationChecker();
 * ```
 */
export interface EntraDynamicPassword {
  /** A fresh access token from the shared cache. */
  password: string;
  /** Returns `true` once the token is about to expire, so MikroORM asks for a new one. */
  expirationChecker: () => boolean;
}

/**
 * A MikroORM `password` function returning `{ password, expirationChecker }` from the cached
 * token and its expiry. MikroORM hands it to Knex as an async connection provider; Knex calls it
 * again for new connections once `expirationChecker()` is true (a plain string password function
 * would be called once and its token reused after it expired). MikroORM passes it no host: give
 * `options.host` for a US Government or China server.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { entraMikroOrmPassword } from "@azure/postgresql-auth-mikro-orm";
 * import { defineConfig } from "@mikro-orm/postgresql";
 *
 * const config = defineConfig({
 *   host: process.env.PGHOST,
 *   user: "orders-api-identity",
 *   password: entraMikroOrmPassword(new DefaultAzureCredential(), { host: process.env.PGHOST }),
 *   dbName: "appdb",
 *   entities: [],
 *   driverOptions: { connection: { ssl: { rejectUnauthorized: true } } },
 * });
 * ```
 */
export function entraMikroOrmPassword(
  credential: TokenCredential,
  options: GetEntraTokenPasswordOptions = {},
): () => Promise<EntraDynamicPassword> {
  return dynamicPassword(createEntraLogin(credential, options, "entraMikroOrmPassword"), "unknown");
}

/**
 * The password function of a login: MikroORM decides TLS elsewhere (`getEntraMikroOrmOptions`
 * decides it once and passes it as `tls`; on its own the connection's TLS is unknown here).
 */
export function dynamicPassword(
  login: EntraLogin,
  tls: { ssl: unknown } | "unknown",
): () => Promise<EntraDynamicPassword> {
  return async () => {
    const { password, reuseUntilTimestamp }: EntraPassword = await login.password({ tls });
    return { password, expirationChecker: () => Date.now() >= reuseUntilTimestamp };
  };
}
