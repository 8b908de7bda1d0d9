/**
 * Local emulator of Microsoft Entra ID login to Azure Database for PostgreSQL.
 *
 * @example
 * ```ts
 * import { startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * // connect with pg to emu.host:emu.port, user emu.principals.managedIdentity.roleName, password = a token
 * await emu.stop();
 * ```
 *
 * @packageDocumentation
 */
export {
  startEmulator,
  DEFAULT_PASSWORD_ROLE_PASSWORD,
  EMULATOR_DATABASE,
  type Emulator,
  type AddPrincipalOptions,
  type EmulatorOptions,
  type EmulatorStartup,
} from "./start-emulator.js";
export { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES } from "./azure-credential-environment-variables.js";
export { EMULATOR_TENANT_ID, EMULATOR_SUBSCRIPTION_ID, EMULATOR_RESOURCE_GROUP, AZURE_CLI_CLIENT_ID } from "./default-principals.js";
export type {
  DefaultPrincipals,
  GroupPrincipal,
  ManagedIdentityPrincipal,
  PasswordRole,
  Principal,
  PrincipalInput,
  PrincipalKind,
  ServicePrincipal,
  TokenPrincipal,
  UserPrincipal,
} from "./principal-types.js";
export { PUBLIC_CLOUD_RESOURCE, scopeToResource, type IssueTokenOptions } from "./token-issuer.js";
export {
  THROTTLE_MAX_CONCURRENT,
  THROTTLE_MAX_PER_SECOND,
  type EmulatorStats,
  type PrincipalBehaviour,
  type TokenRequestCountsByWay,
  type TokenWay,
} from "./token-service.js";
export { EmulatorCredentialError, type EmulatorCredential } from "./credential.js";
export {
  EXPIRED_TOKEN_MESSAGE,
  INVALID_FORMAT_MESSAGE,
  NOT_YET_VALID_MESSAGE,
  SSL_REQUIRED_MESSAGE,
  invalidAudienceMessage,
} from "./entra-login.js";
export type { AzStandIn, AzStandInOptions } from "./az-stand-in.js";
