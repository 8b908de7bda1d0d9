/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Knex 3 (pg client).
 *
 * @packageDocumentation
 */

// The error, its codes and the option types that every adapter re-exports (listed once, in core),
// for naming them without installing the core.
export * from "@azure/postgresql-auth-core/adapter-exports";
export {
  type EntraKnexConnection,
  type EntraKnexOptions,
  entraKnexConnection,
  type KnexPgConnectionLike,
} from "./entra-knex-connection.js";
