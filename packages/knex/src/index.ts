/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Knex 3 (pg client).
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
  type EntraKnexConnection,
  type EntraKnexOptions,
  entraKnexConnection,
  type KnexPgConnectionLike,
} from "./entra-knex-connection.js";
