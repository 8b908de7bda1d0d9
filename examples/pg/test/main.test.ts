// Runs the example program, unchanged, against the emulator: as a managed identity (App Service
// style endpoint) and as a developer signed in with the Azure CLI.
import { execFile } from "node:child_process";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, type Emulator } from "@azure/postgresql-auth-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

function run(env: NodeJS.ProcessEnv) {
  // Asynchronous: the emulator runs in this process and must keep answering while the example runs.
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [main], { env, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("examples/pg", () => {
  it("logs in as the managed identity through DefaultAzureCredential", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...emu.env };
    delete env.PGUSER;
    emu.resetStats();
    const result = await run(env);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("connected as orders-api-identity on 5 backend session(s)");
    expect(result.stdout.match(/token: requested/g)).toHaveLength(1);
    expect(emu.stats().tokenRequests.managedIdentityEndpoint).toBe(1);
  });

  it("logs in as a developer signed in with the Azure CLI", async () => {
    const az = await emu.createAzStandIn({ principal: emu.principals.user.name });
    const env: NodeJS.ProcessEnv = { ...process.env, ...emu.env, PATH: `${az.binDir}${delimiter}${process.env.PATH}` };
    for (const key of ["PGUSER", "IDENTITY_ENDPOINT", "IDENTITY_HEADER"]) delete env[key];
    env.AZURE_TOKEN_CREDENTIALS = "AzureCliCredential";
    const result = await run(env);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("connected as alice@contoso.com");
  });
});
