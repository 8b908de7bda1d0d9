/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Sequelize v6 and v7.
 *
 * @packageDocumentation
 */

export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type EntraTokenCacheOptions,
  type EntraTokenEvent,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
export {
  type ConfigureEntraAuthenticationOptions,
  configureEntraAuthentication,
} from "./configure-entra-authentication.js";
export type {
  SequelizeBeforeConnectHook,
  SequelizeConnectionConfigLike,
} from "./sequelize-before-connect-hook.js";
