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

export type { AzStandIn, AzStandInOptions } from "./az-stand-in.js";
export { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES } from "./azure-credential-environment-variables.js";
export { type EmulatorCredential, EmulatorCredentialError } from "./credential.js";
export {
  AZURE_CLI_CLIENT_ID,
  EMULATOR_RESOURCE_GROUP,
  EMULATOR_SUBSCRIPTION_ID,
  EMULATOR_TENANT_ID,
} from "./default-principals.js";
export {
  anotherPrincipalMessage,
  EXPIRED_TOKEN_MESSAGE,
  INVALID_FORMAT_MESSAGE,
  invalidAudienceMessage,
  mfaRequiredMessage,
  NOT_YET_VALID_MESSAGE,
  notGroupMemberMessage,
  SSL_REQUIRED_MESSAGE,
} from "./entra-login.js";
export type {
  DefaultPrincipals,
  GroupPrincipal,
  ManagedIdentityPrincipal,
  PasswordRole,
  Principal,
  PrincipalBase,
  PrincipalInput,
  PrincipalKind,
  ServicePrincipal,
  TokenPrincipal,
  UserPrincipal,
} from "./principal-types.js";
export {
  type AddPrincipalOptions,
  DEFAULT_PASSWORD_ROLE_PASSWORD,
  EMULATOR_DATABASE,
  type Emulator,
  type EmulatorOptions,
  type EmulatorStartup,
  type ServerBehaviour,
  startEmulator,
} from "./start-emulator.js";
export { type IssueTokenOptions, PUBLIC_CLOUD_RESOURCE, scopeToResource } from "./token-issuer.js";
export {
  type EmulatorStats,
  type PrincipalBehaviour,
  THROTTLE_MAX_CONCURRENT,
  THROTTLE_MAX_PER_SECOND,
  type TokenRequestCountsByWay,
  type TokenWay,
} from "./token-service.js";
