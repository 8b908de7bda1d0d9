/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Sequelize v6 and v7.
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
  type ConfigureEntraAuthenticationOptions,
  configureEntraAuthentication,
} from "./configure-entra-authentication.js";
export type {
  SequelizeBeforeConnectHook,
  SequelizeConnectionConfigLike,
} from "./sequelize-before-connect-hook.js";
