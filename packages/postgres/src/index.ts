/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for postgres.js (and Drizzle on
 * postgres-js).
 *
 * @packageDocumentation
 */

export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
export {
  type EntraPostgresOptions,
  type EntraPostgresSettings,
  getEntraPostgresOptions,
} from "./get-entra-postgres-options.js";
export type { PostgresSslMode, PostgresTlsOptions } from "./postgres-ssl.js";
