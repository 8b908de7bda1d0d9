/**
 * What every adapter of this repository re-exports from the core, listed once
 * (`@azure/postgresql-auth-core/adapter-exports`): the error, its codes, the TLS and token-cache
 * option types, the token event and the SSL mode. Each adapter's index re-exports this module in
 * one line, so that an application can name these without installing the core.
 *
 * @packageDocumentation
 */

export { EntraAuthError, type EntraAuthErrorCode } from "./entra-auth-error.js";
export type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";
export type { EntraTlsOptions, SslMode } from "./resolve-tls-options.js";
