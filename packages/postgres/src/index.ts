/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for postgres.js (and Drizzle on
 * postgres-js).
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
export {
  type EntraPostgresOptions,
  type EntraPostgresSettings,
  getEntraPostgresOptions,
} from "./get-entra-postgres-options.js";
