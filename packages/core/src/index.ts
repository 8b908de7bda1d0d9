/**
 * Core of the Azure Database for PostgreSQL Entra ID adapters: one login policy
 * ({@link createEntraLogin}) that decides host, TLS, token and role name for every connection the
 * same way in every adapter, the errors and the types. It never imports a database driver. The
 * plumbing this repository's own packages share is at `@azure/postgresql-auth-core/internal`
 * (internal, not covered by semver).
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
export { EntraAuthError, type EntraAuthErrorCode } from "./entra-auth-error.js";
export type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";
export {
  createEntraTokenSource,
  type EntraTokenRequestContext,
  type EntraTokenSource,
} from "./entra-token-source.js";
export type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
export type { RoleNameSource } from "./resolve-role-name.js";
export type { EntraConnectionTls, EntraLoginTlsOptions, EntraTlsOptions, SslMode } from "./resolve-tls-options.js";
