/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for MikroORM 6.
 *
 * @packageDocumentation
 */

export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type EntraTlsOptions,
  type EntraTlsSettings,
  type GetEntraTokenPasswordOptions,
  type SslMode,
} from "@azure/postgresql-auth-core";
export { type EntraDynamicPassword, entraMikroOrmPassword } from "./entra-mikro-orm-password.js";
export {
  type EntraMikroOrmOptions,
  type EntraMikroOrmSettings,
  getEntraMikroOrmOptions,
} from "./get-entra-mikro-orm-options.js";
