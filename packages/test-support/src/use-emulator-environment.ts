import type { Emulator } from "@azure/postgresql-auth-emulator";

// TODO(merge): replace with the emulator's exported list once it lands.
const AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES = [
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "IDENTITY_SERVER_THUMBPRINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
];

/**
 * Points this process's environment at the emulator (`PG*`, `IDENTITY_ENDPOINT`, ...) and removes
 * every other Azure credential variable, so that an unmodified `DefaultAzureCredential` uses the
 * emulator's managed identity endpoint and the role name never comes from `PGUSER` by accident.
 * Returns a function that restores the environment as it was.
 */
export function useEmulatorEnvironment(emu: Emulator): () => void {
  const saved = { ...process.env };
  for (const [key, value] of Object.entries(emu.env)) process.env[key] = value;
  for (const key of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete process.env[key];
  delete process.env.PGUSER;
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
