/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for MikroORM 6.
 *
 * @packageDocumentation
 */

// Every core type (options, events, TLS, errors), for naming them without installing the core.
export type {
  EntraAuthErrorCode,
  EntraTlsOptions,
  EntraTokenCacheOptions,
  EntraTokenEvent,
  SslMode,
} from "@azure/postgresql-auth-core";
export { EntraAuthError } from "@azure/postgresql-auth-core";
export { type EntraDynamicPassword, entraMikroOrmPassword } from "./entra-mikro-orm-password.js";
export {
  type EntraMikroOrmConnection,
  type EntraMikroOrmOptions,
  getEntraMikroOrmOptions,
} from "./get-entra-mikro-orm-options.js";
