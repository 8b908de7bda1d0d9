/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Slonik 47.
 *
 * @packageDocumentation
 */

// The error, its codes and the option types that every adapter re-exports (listed once, in core),
// for naming them without installing the core.
export * from "@azure/postgresql-auth-core/adapter-exports";
export {
  createEntraDriverFactory,
  type EntraSlonikOptions,
  type SlonikDriverConfigurationLike,
  type SlonikDriverFactoryLike,
} from "./create-entra-driver-factory.js";
