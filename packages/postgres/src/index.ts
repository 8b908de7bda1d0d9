/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for postgres.js (and Drizzle on
 * postgres-js).
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
export {
  type EntraPostgresConnection,
  type EntraPostgresOptions,
  getEntraPostgresOptions,
} from "./get-entra-postgres-options.js";
