/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Sequelize v6 and v7.
 *
 * @packageDocumentation
 */
export {
  configureEntraAuthentication,
  type ConfigureEntraAuthenticationOptions,
} from "./configure-entra-authentication.js";
export type {
  SequelizeBeforeConnectHook,
  SequelizeConnectionConfigLike,
} from "./sequelize-before-connect-hook.js";
export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type EntraTokenCacheOptions,
  type EntraTokenEvent,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
