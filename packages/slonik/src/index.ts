/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for Slonik 47.
 *
 * @packageDocumentation
 */

export {
  EntraAuthError,
  type EntraAuthErrorCode,
  type EntraTlsOptions,
  type EntraTlsSettings,
  type GetEntraTokenPasswordOptions,
  type SslMode,
} from "@azure/postgresql-auth-core";
export {
  createEntraDriverFactory,
  type EntraDriverFactoryOptions,
  type SlonikDriverConfigurationLike,
  type SlonikDriverFactoryLike,
} from "./create-entra-driver-factory.js";
