/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Knex 3 (pg client).
 *
 * @packageDocumentation
 */
export {
  entraKnexConnection,
  type EntraKnexConnection,
  type EntraKnexConnectionSettings,
  type KnexPgConnectionLike,
} from "./entra-knex-connection.js";
export type { EntraTlsSettings, PgTlsOptions } from "./pg-tls-options.js";
export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
