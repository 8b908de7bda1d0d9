// `azure-postgresql-auth exec ... -- COMMAND`: the one-liner for migrations in CI. Real commands
// (psql, drizzle-kit migrate, prisma migrate deploy, sh) run with PG* and DATABASE_URL pointing at a proxy on a free
// loopback port; exit codes and signals pass through; nothing has a password.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, containsJwt, managedIdentityEnv } from "./proxy-process.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const drizzleKit = join(packageDir, "node_modules", "drizzle-kit", "bin.cjs");
const prismaCli = join(packageDir, "node_modules", "prisma", "build", "index.js");
let emu: Emulator;
let backendPort: number;
const mi = () => emu.principals.managedIdentity;

beforeAll(async () => {
  emu = await startEmulator();
  // Playing the server's admin: drizzle-kit creates its bookkeeping schema (CREATE on the database).
  backendPort = Number(readFileSync(join(emu.workDir, "data", "postmaster.pid"), "utf8").split("\n")[3]);
  await asAdmin("postgres", `grant create on database appdb to ${pg.escapeIdentifier(mi().roleName)}`);
  // Prisma deploys only into an empty database (P3005): its own, as a new app's would be.
  await asAdmin("postgres", `create database prismadb owner ${pg.escapeIdentifier(mi().roleName)}`);
});
afterAll(async () => {
  await emu?.stop();
});

/** Runs one query as the backend's bootstrap superuser, on loopback: the server's admin, not the proxy. */
async function asAdmin<R extends pg.QueryResultRow>(database: string, sql: string): Promise<R[]> {
  const admin = new pg.Client({ host: "127.0.0.1", port: backendPort, user: "postgres", database });
  await admin.connect();
  try {
    return (await admin.query<R>(sql)).rows;
  } finally {
    await admin.end();
  }
}

const server = () => ["--host", emu.host, "--port", String(emu.port), "--ca", emu.caFile];
function exec(args: string[], extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [CLI, "exec", ...args],
      { env: managedIdentityEnv(emu, extraEnv), cwd: packageDir },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe("exec", () => {
  it("psql runs with PGHOST, PGPORT, PGUSER (from the token), PGDATABASE and PGSSLMODE set, and no password", async () => {
    const r = await exec(
      [
        ...server(),
        "--dbname",
        "appdb",
        "--",
        "psql",
        "-X",
        "-At",
        "-c",
        "select current_user || ' ' || current_database()",
      ],
      {
        PGPASSWORD: "a password meant for somewhere else",
        PGHOST: "elsewhere.example",
      },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`${mi().roleName} appdb`);
    expect(r.code).toBe(0);
  });

  it("the command's environment: the proxy's address, the role and DATABASE_URL", async () => {
    const r = await exec([
      ...server(),
      "--dbname",
      "appdb",
      "--",
      "sh",
      "-c",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      'echo "$PGHOST|$PGPORT|$PGUSER|$PGDATABASE|$PGSSLMODE|${PGPASSWORD-unset}|$DATABASE_URL"',
    ]);
    const [host, port, user, database, sslmode, password, url] = r.stdout.trim().split("|");
    expect({ host, user, database, sslmode, password }).toEqual({
      host: "127.0.0.1",
      user: mi().roleName,
      database: "appdb",
      sslmode: "disable",
      password: "unset",
    });
    expect(Number(port)).toBeGreaterThan(0);
    expect(url).toBe(`postgresql://${encodeURIComponent(mi().roleName)}@127.0.0.1:${port}/appdb?sslmode=disable`);
  });

  it("--username sets PGUSER; a server argument's database= sets PGDATABASE", async () => {
    const r = await exec([
      `${emu.host}?port=${emu.port}&database=postgres`,
      "--ca",
      emu.caFile,
      "--username",
      mi().roleName,
      "--",
      "psql",
      "-X",
      "-At",
      "-c",
      "select current_database()",
    ]);
    expect(r.stdout.trim()).toBe("postgres");
  });

  it("exits with the command's exit code", async () => {
    expect((await exec([...server(), "--", "sh", "-c", "exit 7"])).code).toBe(7);
    const failing = await exec([
      ...server(),
      "--dbname",
      "appdb",
      "--",
      "psql",
      "-X",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      "select 1/0",
    ]);
    expect(failing.code).toBe(1); // psql -c: 1 when the command failed
    expect(failing.stderr).toMatch(/division by zero/);
    const missing = await exec([...server(), "--", "no-such-command-azpg"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/cannot run no-such-command-azpg \(ENOENT\)/);
  });

  it("usage: a command is required; several servers are refused", async () => {
    const none = await exec([...server()]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exec needs the command to run after --/);
    const two = await exec(["a.postgres.database.azure.com", "b.postgres.database.azure.com", "--", "true"]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/one server/);
  });

  it("no token: exit 3 with our error code, and the command does not run", async () => {
    const r = await exec([...server(), "--", "sh", "-c", "echo ran"], { IDENTITY_HEADER: "wrong-secret" });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/TOKEN_ACQUISITION_FAILED/);
  });

  it("SIGTERM is forwarded to the command, whose exit code exec returns", async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        CLI,
        "exec",
        ...server(),
        "--",
        "sh",
        "-c",
        'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done',
      ],
      { env: managedIdentityEnv(emu), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    await new Promise<void>((resolve) =>
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("ready")) resolve();
      }),
    );
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? (signal as unknown as number))),
    );
    child.kill("SIGTERM");
    expect(await exited, err + out).toBe(42);
    expect(out).toContain("got-term");
  });

  it("drizzle-kit migrate in one line, with no password anywhere", async () => {
    const r = await exec([
      ...server(),
      "--dbname",
      "appdb",
      "--",
      process.execPath,
      drizzleKit,
      "migrate",
      "--config",
      "test/integration/drizzle/drizzle.config.ts",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const client = new pg.Client({
      host: emu.host,
      port: emu.port,
      database: "appdb",
      user: mi().roleName,
      password: emu.issueToken(mi().name),
      ssl: { ca: emu.ca, rejectUnauthorized: true },
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ owner: string }>(
        "select tableowner as owner from pg_tables where tablename = 'proxy_migration_orders'",
      );
      expect(rows).toEqual([{ owner: mi().roleName }]);
      const applied = await client.query<{ n: string }>("select count(*) as n from public.__proxy_migrations");
      expect(applied.rows[0]!.n).toBe("1");
    } finally {
      await client.end();
    }
    expect(containsJwt(r.stdout + r.stderr)).toBe(false);
  });

  it("prisma migrate deploy in one line: the table and Prisma's record of it, with no password anywhere", async () => {
    // Prisma 6's CLI with its WebAssembly schema engine and the pg driver adapter (prisma.config.ts):
    // Prisma's native schema engine is a download from Prisma's servers, which CI cannot reach.
    // About 13 s: the engine leaves a 10-second timer running, so the CLI exits 10 s after it is done.
    const r = await exec(
      [
        ...server(),
        "--dbname",
        "prismadb",
        "--",
        process.execPath,
        prismaCli,
        "migrate",
        "deploy",
        "--config",
        "test/integration/prisma/prisma.config.ts",
      ],
      { CHECKPOINT_DISABLE: "1" },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/All migrations have been successfully applied/);
    expect(
      await asAdmin(
        "prismadb",
        "select schemaname as schema, tableowner as owner from pg_tables where tablename = 'prisma_exec_orders'",
      ),
    ).toEqual([{ schema: "public", owner: mi().roleName }]);
    expect(
      await asAdmin(
        "prismadb",
        "select migration_name as name, finished_at is not null as finished, applied_steps_count as steps " +
          "from public._prisma_migrations",
      ),
    ).toEqual([{ name: "20260101000000_create_orders", finished: true, steps: 1 }]);
    expect(containsJwt(r.stdout + r.stderr)).toBe(false);
  });
});
