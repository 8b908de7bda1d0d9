/**
 * Microsoft Entra ID login to Azure Database for PostgreSQL for node-postgres (`pg`).
 *
 * @packageDocumentation
 */

// The error, its codes and the option types that every adapter re-exports (listed once, in core),
// for naming them without installing the core.
export * from "@azure/postgresql-auth-core/adapter-exports";
export {
  type EntraPasswordFunction,
  type EntraTokenProviderOptions,
  entraTokenProvider,
} from "./entra-token-provider.js";
export { type GetEntraRoleNameOptions, getEntraRoleName } from "./get-entra-role-name.js";
export type { PgConnectionParametersLike } from "./pg-connection-parameters-like.js";
