/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for postgres.js (and Drizzle on
 * postgres-js).
 *
 * @packageDocumentation
 */

// The error, its codes and the option types that every adapter re-exports (listed once, in core),
// for naming them without installing the core.
export * from "@azure/postgresql-auth-core/adapter-exports";
export {
  type EntraPostgresConnection,
  type EntraPostgresOptions,
  getEntraPostgresOptions,
} from "./get-entra-postgres-options.js";
