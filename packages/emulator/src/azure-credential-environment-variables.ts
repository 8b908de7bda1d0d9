/**
 * The one list of environment variables through which `@azure/identity` picks or configures a
 * credential. Remove them from a child's environment so that only what the emulator sets
 * (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, or the workload identity variables) decides.
 */

/**
 * Environment variables read by `@azure/identity` credentials (`EnvironmentCredential`,
 * `WorkloadIdentityCredential`, `ManagedIdentityCredential` in all its hosting environments,
 * `DefaultAzureCredential`'s selection, authority and tenant settings). Strip all of them
 * before adding the emulator's variables. `AZURE_LOG_LEVEL` is not in the list (it selects
 * no credential).
 *
 * @example
 * ```ts
 * import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const env: NodeJS.ProcessEnv = { ...process.env };
 * for (const name of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete env[name];
 * Object.assign(env, emu.env); // now DefaultAzureCredential uses the emulator's managed identity endpoint
 * ```
 */
export const AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES: readonly string[] = Object.freeze([
  // EnvironmentCredential (service principal with secret or certificate, user name and password)
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH",
  "AZURE_CLIENT_CERTIFICATE_PASSWORD",
  "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
  "AZURE_USERNAME",
  "AZURE_PASSWORD",
  // WorkloadIdentityCredential (AKS)
  "AZURE_FEDERATED_TOKEN_FILE",
  // Authority and tenants
  "AZURE_AUTHORITY_HOST",
  "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
  "AZURE_REGIONAL_AUTHORITY_NAME",
  "AZURE_IDENTITY_DISABLE_MULTITENANTAUTH",
  // DefaultAzureCredential's chain selection
  "AZURE_TOKEN_CREDENTIALS",
  // ManagedIdentityCredential: App Service, Functions, Service Fabric, Azure Arc, Cloud Shell, IMDS
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "IDENTITY_SERVER_THUMBPRINT",
  "IMDS_ENDPOINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
]);
