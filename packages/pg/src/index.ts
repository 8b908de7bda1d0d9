/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for node-postgres (`pg`).
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
  type EntraPasswordFunction,
  type EntraTokenProviderOptions,
  entraTokenProvider,
} from "./entra-token-provider.js";
export { type GetEntraRoleNameOptions, getEntraRoleName } from "./get-entra-role-name.js";
export type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";
