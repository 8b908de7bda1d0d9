/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for MikroORM 6.
 *
 * @packageDocumentation
 */
export { entraMikroOrmPassword, type EntraDynamicPassword } from "./entra-mikro-orm-password.js";
export {
  getEntraMikroOrmOptions,
  type EntraMikroOrmOptions,
  type EntraMikroOrmSettings,
} from "./get-entra-mikro-orm-options.js";
export type { EntraTlsSettings, PgTlsOptions } from "./pg-tls-options.js";
export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
