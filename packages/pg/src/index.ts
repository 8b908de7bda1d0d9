/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for node-postgres (`pg`).
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
  type EntraPasswordFunction,
  type EntraTokenProviderOptions,
  entraTokenProvider,
} from "./entra-token-provider.js";
export { type GetEntraRoleNameOptions, getEntraRoleName } from "./get-entra-role-name.js";
export type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";
