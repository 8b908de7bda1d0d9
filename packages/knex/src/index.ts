/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Knex 3 (pg client).
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
  type EntraKnexConnection,
  type EntraKnexConnectionSettings,
  entraKnexConnection,
  type KnexPgConnectionLike,
} from "./entra-knex-connection.js";
