import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, type Emulator, startEmulator } from "../src/index.js";

const execFileAsync = promisify(execFile);
const fixture = fileURLToPath(new URL("./fixtures/entra-credential.mjs", import.meta.url));

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

/** Runs the fixture with only the emulator's variables plus `extra` (no Azure variables of this machine). */
async function run(
  credential: string,
  extra: Record<string, string>,
  args: string[] = [],
): Promise<{ user?: string; error?: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete env[name];
  Object.assign(env, emu.env, extra);
  const { stdout } = await execFileAsync(process.execPath, [fixture, credential, ...args], { env, timeout: 150_000 });
  return JSON.parse(stdout) as { user?: string; error?: string };
}

describe("Entra-like token endpoint", () => {
  it("DefaultAzureCredential takes the workload identity path (AZURE_FEDERATED_TOKEN_FILE) and logs in", async () => {
    emu.resetStats();
    const result = await run("default", await emu.workloadIdentityEnv("orders-api-identity"));
    expect(result).toEqual({ user: "orders-api-identity" });
    const stats = emu.stats();
    expect(stats.tokenRequests.tokenEndpoint).toBe(1);
    expect(stats.tokenRequests.managedIdentityEndpoint).toBe(0);
  });

  it("WorkloadIdentityCredential and a service principal's federated token", async () => {
    expect(
      await run("workload", { ...(await emu.workloadIdentityEnv("reporting-app")), PGUSER: "reporting-app" }),
    ).toEqual({ user: "reporting-app" });
  });

  it("ClientSecretCredential and EnvironmentCredential with the service principal's secret", async () => {
    const env = { ...emu.clientSecretEnv("reporting-app"), PGUSER: "reporting-app" };
    expect(await run("secret", env)).toEqual({ user: "reporting-app" });
    expect(await run("environment", env)).toEqual({ user: "reporting-app" });
  });

  it("an unmodified DefaultAzureCredential() (no options) also works offline: MSAL's failed instance discovery is not fatal", async () => {
    // MSAL first asks login.microsoftonline.com for instance discovery; offline that request fails
    // (after the pipeline's retries, a few seconds) and MSAL goes on with the authority as given.
    const result = await run("default", await emu.workloadIdentityEnv("orders-api-identity"), ["--default-options"]);
    expect(result).toEqual({ user: "orders-api-identity" });
  });

  it("refuses a wrong secret and another application's federated token with AADSTS errors", async () => {
    const wrong = await run("secret", { ...emu.clientSecretEnv("reporting-app"), AZURE_CLIENT_SECRET: "wrong" });
    expect(wrong.error).toMatch(/AADSTS7000215/);
    const mi = await emu.workloadIdentityEnv("orders-api-identity");
    const other = await run("workload", { ...mi, AZURE_CLIENT_ID: emu.principals.servicePrincipal.clientId });
    expect(other.error).toMatch(/AADSTS70021/);
  });
});
