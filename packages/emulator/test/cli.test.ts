import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { processesMentioning } from "./processes.js";

const cli = fileURLToPath(new URL("../dist/esm/cli.js", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/default-credential.mjs", import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  onSpawn?: (child: ReturnType<typeof spawn>) => void,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    onSpawn?.(child);
  });
}

async function waitFor(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error("Build the package first: pnpm --filter @azure/postgresql-auth-emulator build");
});

describe("azure-postgresql-emulator CLI", () => {
  it("run: sets the environment, removes Azure variables, propagates the exit code and cleans up", async () => {
    const script = `const keys = ["PGHOST","PGPORT","PGDATABASE","PGUSER","PGSSLMODE","PGSSLROOTCERT","NODE_EXTRA_CA_CERTS","IDENTITY_ENDPOINT","IDENTITY_HEADER","AZURE_CLIENT_ID","MSI_ENDPOINT"];
console.log(JSON.stringify(Object.fromEntries(keys.map((k) => [k, process.env[k] ?? null])))); process.exit(7);`;
    const result = await runCli(["run", "--", process.execPath, "-e", script], {
      ...process.env,
      AZURE_CLIENT_ID: "should-be-removed",
      MSI_ENDPOINT: "http://example.invalid",
    });
    expect(result.code).toBe(7);
    const env = JSON.parse(result.stdout.trim());
    expect(env).toMatchObject({
      PGHOST: "localhost",
      PGDATABASE: "appdb",
      PGUSER: "orders-api-identity",
      PGSSLMODE: "verify-full",
      AZURE_CLIENT_ID: null,
      MSI_ENDPOINT: null,
    });
    expect(env.PGPORT).toMatch(/^\d+$/);
    expect(env.NODE_EXTRA_CA_CERTS).toBe(env.PGSSLROOTCERT);
    expect(env.IDENTITY_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const workDir = dirname(env.PGSSLROOTCERT);
    expect(existsSync(workDir)).toBe(false);
    expect(processesMentioning(workDir)).toEqual([]);
  });

  it("run: an unmodified DefaultAzureCredential and pg log in with only the environment", async () => {
    const result = await runCli(["run", "--", process.execPath, fixture]);
    expect(result.stderr).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).user).toBe("orders-api-identity");
  });

  it("run --principal --token-lifetime and token: prints a token of that principal", async () => {
    const result = await runCli([
      "run",
      "--principal",
      "alice@contoso.com",
      "--token-lifetime",
      "30",
      "--",
      process.execPath,
      cli,
      "token",
    ]);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims.upn).toBe("alice@contoso.com");
    expect(claims.exp - claims.iat).toBe(30);
    expect(result.stderr).not.toContain(token);
  });

  it("run: a failing or missing command still stops everything", async () => {
    const missing = await runCli(["run", "--", "this-command-does-not-exist-42"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("could not start");
  });

  it("run: SIGTERM reaches the command; the emulator stops and exits with 128+signal", async () => {
    const marker = `emulator-sigterm-${process.pid}-${Date.now()}`;
    let printed = "";
    let cliChild: ReturnType<typeof spawn> | undefined;
    const pending = runCli(
      [
        "run",
        "--",
        process.execPath,
        "-e",
        `console.log(process.env.PGSSLROOTCERT); setTimeout(() => {}, 60000); // ${marker}`,
      ],
      process.env,
      (c) => {
        cliChild = c;
        c.stdout!.on("data", (chunk: Buffer) => (printed += chunk));
      },
    );
    await waitFor(() => printed.includes("\n") && processesMentioning(marker).length >= 2);
    cliChild!.kill("SIGTERM");
    const result = await pending;
    expect(result.code).toBe(143);
    expect(processesMentioning(marker)).toEqual([]);
    const workDir = dirname(result.stdout.trim());
    expect(workDir).toMatch(/azure-pg-emulator-/);
    expect(existsSync(workDir)).toBe(false);
  });

  it("start --env-file: writes the variables, serves logins, stops on SIGINT without leftovers", async () => {
    const folder = mkdtempSync(join(tmpdir(), "emulator-cli-test-"));
    const envFile = join(folder, ".emulator-env");
    let cliChild: ReturnType<typeof spawn> | undefined;
    try {
      // Node 20 itself checks that a file given as --env-file exists (even after the script name).
      writeFileSync(envFile, "");
      const pending = runCli(["start", "--env-file", envFile], process.env, (c) => (cliChild = c));
      await waitFor(() => readFileSync(envFile, "utf8").includes("IDENTITY_HEADER"));
      const env = Object.fromEntries(
        readFileSync(envFile, "utf8")
          .trim()
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      ) as Record<string, string>;
      const response = await fetch(
        `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://ossrdbms-aad.database.windows.net`,
        {
          headers: { "X-IDENTITY-HEADER": env.IDENTITY_HEADER! },
        },
      );
      const { access_token: token } = (await response.json()) as { access_token: string };
      const pg = (await import("pg")).default;
      const client = new pg.Client({
        host: env.PGHOST,
        port: Number(env.PGPORT),
        database: env.PGDATABASE,
        user: env.PGUSER,
        password: token,
        ssl: { ca: readFileSync(env.PGSSLROOTCERT!, "utf8"), rejectUnauthorized: true },
      });
      await client.connect();
      expect((await client.query("select current_user")).rows[0].current_user).toBe("orders-api-identity");
      await client.end();
      cliChild!.kill("SIGINT");
      const result = await pending;
      expect(result.code).toBe(0);
      const workDir = dirname(env.PGSSLROOTCERT!);
      expect(existsSync(workDir)).toBe(false);
      expect(processesMentioning(workDir)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("start --write-env: writes the file even when it does not exist yet", async () => {
    const folder = mkdtempSync(join(tmpdir(), "emulator-cli-test-"));
    const envFile = join(folder, "emulator.env");
    let cliChild: ReturnType<typeof spawn> | undefined;
    try {
      const pending = runCli(["start", "--write-env", envFile], process.env, (c) => (cliChild = c));
      await waitFor(() => existsSync(envFile));
      expect(readFileSync(envFile, "utf8")).toMatch(/^PGUSER=orders-api-identity$/m);
      cliChild!.kill("SIGTERM");
      expect((await pending).code).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("start: prints export lines", async () => {
    let cliChild: ReturnType<typeof spawn> | undefined;
    let out = "";
    const pending = runCli(["start"], process.env, (c) => {
      cliChild = c;
      c.stdout!.on("data", (chunk: Buffer) => (out += chunk));
    });
    await waitFor(() => out.includes("IDENTITY_HEADER"));
    cliChild!.kill("SIGTERM");
    const result = await pending;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^export PGHOST=localhost$/m);
    expect(result.stdout).toMatch(/^export PGSSLMODE=verify-full$/m);
    expect(result.stdout).toMatch(/^unset (\S+ )*AZURE_CLIENT_ID( |$)/m);
    expect(result.stdout).toMatch(/^unset (\S+ )*AZURE_FEDERATED_TOKEN_FILE( |$)/m);
    expect(result.stdout.indexOf("unset ")).toBeLessThan(result.stdout.indexOf("export IDENTITY_ENDPOINT="));
  });

  it("add-principal: a principal added at run time gets tokens and a role", async () => {
    const script = `
const { execFileSync } = require("node:child_process");
const pg = require("pg");
const run = (...args) => execFileSync(process.execPath, [${JSON.stringify(cli)}, ...args], { encoding: "utf8" });
const added = JSON.parse(run("add-principal", "--kind", "servicePrincipal", "--name", "cli-app"));
const token = run("token", "--principal", "cli-app").trim();
const client = new pg.Client({ user: added.roleName, password: token });
client.connect().then(() => client.query("select current_user")).then((r) => {
  console.log(JSON.stringify({ user: r.rows[0].current_user, oid: added.oid }));
  return client.end();
});`;
    const result = await runCli(["run", "--", process.execPath, "-e", script]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim());
    expect(out.user).toBe("cli-app");
    expect(out.oid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("run --clock-skew: the server's clock runs ahead, so a token with less time left than the skew is refused as expired", async () => {
    const result = await runCli([
      "run",
      "--clock-skew",
      "120",
      "--token-lifetime",
      "60",
      "--",
      process.execPath,
      fixture,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("The access token has expired");
    expect(result.stderr).not.toMatch(/eyJ[\w-]+\.eyJ/);
    const bad = await runCli(["run", "--clock-skew", "soon", "--", process.execPath, "-e", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--clock-skew must be a number of seconds");
  });

  it("rejects unknown options with the usage text", async () => {
    const result = await runCli(["start", "--no-such-option"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--no-such-option'/);
    expect(result.stderr).toContain("Usage:");
  });

  it("token without a running emulator explains what to do", async () => {
    const env = { ...process.env };
    delete env.IDENTITY_ENDPOINT;
    delete env.IDENTITY_HEADER;
    const result = await runCli(["token"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("No running emulator");
  });
});
