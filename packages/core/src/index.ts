/**
 * Core of the Azure Database for PostgreSQL Entra ID adapters: cloud scopes, token
 * acquisition, role names, TLS settings, errors and logging. It never imports a database driver.
 *
 * @packageDocumentation
 */

export type { AccessToken, TokenCredential } from "@azure/core-auth";
export { assertTokenCredential } from "./assert-token-credential.js";
export {
  type AzureCloud,
  type AzurePostgresqlCloudInfo,
  azurePostgresqlClouds,
  cloudFromHost,
  DEFAULT_SCOPE,
} from "./azure-clouds.js";
export { createExpirationChecker } from "./create-expiration-checker.js";
export { decodeTokenClaims, type EntraTokenClaims } from "./decode-token-claims.js";
export { EntraAuthError, type EntraAuthErrorCode } from "./entra-auth-error.js";
export type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";
export {
  createEntraTokenSource,
  type EntraTokenRequestContext,
  type EntraTokenSource,
} from "./entra-token-source.js";
export { type GetEntraTokenOptions, getEntraToken } from "./get-entra-token.js";
export type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
export { insecureConnectionError } from "./insecure-connection-error.js";
export { isLoopbackHost } from "./is-loopback-host.js";
export { logger } from "./logger.js";
export { redactTokens } from "./redact-tokens.js";
export {
  assertRoleNameOptions,
  type ResolvedRoleName,
  type RoleNameOptions,
  type RoleNameSource,
  resolveRoleName,
} from "./resolve-role-name.js";
export { resolveScopes } from "./resolve-scopes.js";
export {
  type EntraTlsOptions,
  type EntraTlsSettings,
  resolveTlsOptions,
  type SslMode,
} from "./resolve-tls-options.js";
