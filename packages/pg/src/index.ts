/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for node-postgres (`pg`).
 *
 * @packageDocumentation
 */
export {
  entraTokenProvider,
  type EntraPasswordFunction,
  type EntraTokenProviderOptions,
} from "./entra-token-provider.js";
export { getEntraRoleName, type GetEntraRoleNameOptions } from "./get-entra-role-name.js";
export type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";
export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type EntraTokenCacheOptions,
  type EntraTokenEvent,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
