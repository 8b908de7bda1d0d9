/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for MikroORM 6.
 *
 * @packageDocumentation
 */

// The error, its codes and the option types that every adapter re-exports (listed once, in core),
// for naming them without installing the core.
export * from "@azure/postgresql-auth-core/adapter-exports";
export { type EntraDynamicPassword, entraMikroOrmPassword } from "./entra-mikro-orm-password.js";
export {
  type EntraMikroOrmConnection,
  type EntraMikroOrmOptions,
  getEntraMikroOrmOptions,
} from "./get-entra-mikro-orm-options.js";
