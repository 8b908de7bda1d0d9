// Runs the example program, unchanged, against the emulator.
import { execFile } from "node:child_process";
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

function run(extra: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...emu.env, ...extra };
  delete env.PGUSER;
  // Asynchronous: the emulator runs in this process and must keep answering while the example runs.
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [main], { env, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("examples/sequelize", () => {
  it("logs in as the managed identity through DefaultAzureCredential and uses a model", async () => {
    const result = await run();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("connected as orders-api-identity");
    expect(result.stdout).toContain("notes in the table: 1");
  });

  it("group login with DB_ROLE: the group's role, the managed identity's token refused as not a member", async () => {
    const result = await run({ DB_ROLE: emu.principals.group.roleName });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/db-readers/);
  });
});
