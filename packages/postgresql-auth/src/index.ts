/**
 * Azure Entra ID authentication for PostgreSQL in JavaScript, with the API of
 * `@azure/postgresql-auth` 1.0.0-beta.1: `entraTokenProvider` for node-postgres (`pg`) and
 * `configureEntraAuthentication` for Sequelize. New code can install just the adapter it needs:
 * `@azure/postgresql-auth-pg` or `@azure/postgresql-auth-sequelize`.
 *
 * @packageDocumentation
 */

export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
export {
  type EntraPasswordFunction,
  type EntraTokenProviderOptions,
  entraTokenProvider,
} from "@azure/postgresql-auth-pg";
export {
  type ConfigureEntraAuthenticationOptions,
  configureEntraAuthentication,
  type SequelizeBeforeConnectHook,
} from "@azure/postgresql-auth-sequelize";
