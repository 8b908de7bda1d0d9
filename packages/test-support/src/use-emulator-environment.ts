import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, type Emulator } from "@azure/postgresql-auth-emulator";

/**
 * Points this process's environment at the emulator (`PG*`, `IDENTITY_ENDPOINT`, ...) and removes
 * every other Azure credential variable, so that an unmodified `DefaultAzureCredential` uses the
 * emulator's managed identity endpoint and the role name never comes from `PGUSER` by accident.
 * Returns a function that restores the environment as it was.
 */
export function useEmulatorEnvironment(emu: Emulator): () => void {
  const saved = { ...process.env };
  for (const key of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete process.env[key];
  for (const [key, value] of Object.entries(emu.env)) process.env[key] = value;
  delete process.env.PGUSER;
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
