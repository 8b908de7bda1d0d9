/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Sequelize v6 and v7.
 *
 * @packageDocumentation
 */

// The error, its codes and the option types that every adapter re-exports (listed once, in core),
// for naming them without installing the core.
export * from "@azure/postgresql-auth-core/adapter-exports";
export {
  type ConfigureEntraAuthenticationOptions,
  configureEntraAuthentication,
} from "./configure-entra-authentication.js";
export type {
  SequelizeBeforeConnectHook,
  SequelizeConnectionConfigLike,
} from "./sequelize-before-connect-hook.js";
