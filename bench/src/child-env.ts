/**
 * The environment of a child process: the parent's, without anything that would steer
 * @azure/identity away from the emulator, plus the emulator's variables and per-run extras.
 */
const REMOVED = [
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_TOKEN_CREDENTIALS",
  "AZURE_USERNAME",
  "AZURE_PASSWORD",
  "IDENTITY_SERVER_THUMBPRINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "IMDS_ENDPOINT",
  "PGPASSWORD",
  "AZURE_LOG_LEVEL",
];

export function childEnv(emulatorEnv: Record<string, string>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of REMOVED) delete env[key];
  return { ...env, ...emulatorEnv, ...extra };
}
