/**
 * Core of the Azure Database for PostgreSQL Entra ID adapters: one login policy
 * ({@link createEntraLogin}) that decides host, TLS, token and role name for every connection the
 * same way in every adapter, the errors and the types. It never imports a database driver.
 *
 * @packageDocumentation
 */

export type { AccessToken, TokenCredential } from "@azure/core-auth";
export {
  createEntraLogin,
  type EntraConnectionPlan,
  type EntraLogin,
  type EntraLoginOptions,
  type EntraLoginRequest,
  type EntraLoginResult,
  type EntraPassword,
} from "./create-entra-login.js";
export { decodeTokenClaims, type EntraTokenClaims } from "./decode-token-claims.js";
export { EntraAuthError, type EntraAuthErrorCode } from "./entra-auth-error.js";
export type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";
export {
  createEntraTokenSource,
  type EntraTokenRequestContext,
  type EntraTokenSource,
} from "./entra-token-source.js";
export type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
export { isLoopbackHost } from "./is-loopback-host.js";
export { logger } from "./logger.js";
export { redactTokens } from "./redact-tokens.js";
export {
  type ResolvedRoleName,
  type RoleNameOptions,
  type RoleNameSource,
  resolveRoleName,
} from "./resolve-role-name.js";
export type { EntraConnectionTls, EntraLoginTlsOptions, EntraTlsOptions, SslMode } from "./resolve-tls-options.js";
