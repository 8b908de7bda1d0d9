// Microsoft's README samples run unmodified under `azure-postgresql-emulator run`, against this
// package, through an unmodified DefaultAzureCredential and real TLS.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES } from "@azure/postgresql-auth-emulator";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const emulatorBin = `${packageDir}/node_modules/.bin/azure-postgresql-emulator`;

function runSample(file: string) {
  const sample = fileURLToPath(new URL(`./microsoft-readme/${file}`, import.meta.url));
  const env = { ...process.env };
  for (const key of [...AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, "PGHOST", "PGPORT", "PGUSER", "PGDATABASE"])
    delete env[key];
  return spawnSync(emulatorBin, ["run", "--", process.execPath, sample], {
    cwd: packageDir,
    env,
    encoding: "utf8",
    timeout: 150_000,
  });
}

describe("Microsoft's README samples, unmodified, under azure-postgresql-emulator run", () => {
  it.each(["pg-sample.mjs", "sequelize-sample.mjs"])("%s logs in as the managed identity", (file) => {
    const result = runSample(file);
    expect(result.stderr + result.stdout).not.toMatch(/eyJ[\w-]+\.eyJ/); // no token printed anywhere
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("current_user=orders-api-identity");
  });
});
