/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Slonik 47.
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
  createEntraDriverFactory,
  type EntraSlonikOptions,
  type SlonikDriverConfigurationLike,
  type SlonikDriverFactoryLike,
} from "./create-entra-driver-factory.js";
