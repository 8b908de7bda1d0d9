// Microsoft's README samples (the files are the README's code, plus one query that prints the
// role) under `azure-postgresql-emulator run`, against this package, through DefaultAzureCredential
// and real TLS, with PGSSLMODE unset as on a machine that never set it: `run` sets PGSSLMODE, so
// the sample is started through `env -u PGSSLMODE`, and the shell prints what the sample sees.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES } from "@azure/postgresql-auth-emulator";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const emulatorBin = `${packageDir}/node_modules/.bin/azure-postgresql-emulator`;

/** Runs a sample with PGSSLMODE unset, or set to `sslMode`. */
function runSample(file: string, sslMode?: string) {
  const sample = fileURLToPath(new URL(`./microsoft-readme/${file}`, import.meta.url));
  const env = { ...process.env };
  for (const key of [...AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, "PGHOST", "PGPORT", "PGUSER", "PGDATABASE"])
    delete env[key];
  const showSslMode =
    '{ env | grep -q "^PGSSLMODE=" && echo PGSSLMODE=set || echo "PGSSLMODE=<unset>"; } && exec "$0" "$1"';
  return spawnSync(
    emulatorBin,
    [
      "run",
      "--",
      "env",
      "-u",
      "PGSSLMODE",
      ...(sslMode === undefined ? [] : [`PGSSLMODE=${sslMode}`]),
      "sh",
      "-c",
      showSslMode,
      process.execPath,
      sample,
    ],
    {
      cwd: packageDir,
      env,
      encoding: "utf8",
      timeout: 150_000,
    },
  );
}

describe("Microsoft's README samples under azure-postgresql-emulator run, PGSSLMODE unset", () => {
  // pg: the sample sets ssl: { rejectUnauthorized: true } itself. Sequelize: the sample sets no TLS,
  // and without PGSSLMODE pg would connect in plaintext; the hook gives it verified TLS instead.
  // (The emulator's TLS front refuses a connection without TLS, with Azure's message.)
  it.each(["pg-sample.mjs", "sequelize-sample.mjs"])("%s logs in as the managed identity over verified TLS", (file) => {
    const result = runSample(file);
    expect(result.stdout).toContain("PGSSLMODE=<unset>");
    expect(result.stderr + result.stdout).not.toMatch(/eyJ[\w-]+\.eyJ/); // no token printed anywhere
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("current_user=orders-api-identity");
  });
});

describe("the pg sample without its ssl line (pg's default: no TLS)", () => {
  // What really happens: Azure (and the emulator's TLS front) ends a connection without TLS before
  // asking for a password, so pg never calls the password function and no token is fetched. Our
  // INSECURE_CONNECTION refusal is for a server that does ask for a password over plaintext (see
  // differences.test.ts and the pg adapter's insecure-connection integration test).
  it("is refused by the server at start-up (SSL connection is required), not by INSECURE_CONNECTION", () => {
    const result = runSample("pg-sample-without-ssl.mjs");
    expect(result.stdout).toContain("PGSSLMODE=<unset>");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("SSL connection is required");
    expect(result.stderr).not.toContain("INSECURE_CONNECTION");
    expect(result.stderr + result.stdout).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(result.stdout).not.toContain("current_user=");
  });

  it("logs in with the documented fix PGSSLMODE=verify-full", () => {
    const result = runSample("pg-sample-without-ssl.mjs", "verify-full");
    expect(result.stdout).toContain("PGSSLMODE=set");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("current_user=orders-api-identity");
  });
});
