// The proxy (the real bin, as a child process) in front of the emulator: real PostgreSQL behind an
// Azure-like TLS front that checks tokens. Clients: psql (libpq) and pg, without TLS and without a
// password on the loopback hop.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsJwt, managedIdentityEnv, type ProxyProcess, startProxyProcess } from "./proxy-process.js";

const run = promisify(execFile);
let emu: Emulator;
let proxy: ProxyProcess;
const mi = () => emu.principals.managedIdentity;

beforeAll(async () => {
  emu = await startEmulator();
  emu.resetStats();
  // The most verbose logging of the whole stack (ours, core's and @azure/identity's), searched for tokens below.
  proxy = await startProxyProcess(
    emu,
    ["--http-port", "0", "--log-level", "debug"],
    managedIdentityEnv(emu, { AZURE_LOG_LEVEL: "verbose" }),
  );
});
afterAll(async () => {
  await proxy?.stop();
  await emu?.stop();
});

async function psql(conninfo: string, sql: string, env: Record<string, string> = {}) {
  const cleanEnv: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
  return run("/usr/bin/psql", [conninfo, "-X", "-At", "-c", sql], { env: cleanEnv });
}

describe("proxy: clients without TLS and without a password log in through it", () => {
  it("psql with sslmode=disable logs in as the managed identity", async () => {
    const { stdout } = await psql(
      `host=127.0.0.1 port=${proxy.port} dbname=appdb user=${mi().roleName} sslmode=disable`,
      "select current_user",
    );
    expect(stdout.trim()).toBe(mi().roleName);
  });

  it("psql with its default sslmode (prefer) is answered 'N' and carries on in plaintext", async () => {
    const { stdout } = await psql(
      `host=127.0.0.1 port=${proxy.port} dbname=appdb user=${mi().roleName} application_name=from-psql`,
      "select current_user || ' ' || current_setting('application_name')",
    );
    expect(stdout.trim()).toBe(`${mi().roleName} from-psql`);
  });

  it("psql with sslmode=require is refused by psql itself (the proxy offers no TLS on loopback)", async () => {
    await expect(
      psql(`host=127.0.0.1 port=${proxy.port} dbname=appdb user=${mi().roleName} sslmode=require`, "select 1"),
    ).rejects.toThrow(/server does not support SSL/);
  });

  it("forwards the startup parameters: database, application_name and options", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: proxy.port,
      database: "postgres",
      user: mi().roleName,
      application_name: "proxy-test",
      options: "-c search_path=pg_catalog -c statement_timeout=4321",
      ssl: false,
    });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, string>>(
        "select current_user as u, current_database() as d, current_setting('application_name') as a, current_setting('search_path') as s, current_setting('statement_timeout') as t",
      );
      expect(rows[0]).toEqual({ u: mi().roleName, d: "postgres", a: "proxy-test", s: "pg_catalog", t: "4321ms" });
    } finally {
      await client.end();
    }
  });

  it("pg (no password) logs in as the managed identity", async () => {
    const pool = new pg.Pool({
      host: "127.0.0.1",
      port: proxy.port,
      database: "appdb",
      user: mi().roleName,
      ssl: false,
      max: 3,
    });
    try {
      const results = await Promise.all(
        [1, 2, 3].map(() => pool.query<{ u: string }>("select current_user as u, pg_sleep(0.01)")),
      );
      expect(results.map((r) => r.rows[0]!.u)).toEqual([mi().roleName, mi().roleName, mi().roleName]);
    } finally {
      await pool.end();
    }
  });

  it("a large answer to a client that stops reading for a while arrives whole and in order (backpressure)", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: proxy.port,
      database: "appdb",
      user: mi().roleName,
      ssl: false,
    });
    await client.connect();
    try {
      // About 19 MiB in one value: bursts of full TLS records, more than the sockets buffer.
      const sql = "select string_agg(md5(i::text), '' order by i) as s from generate_series(1, 600000) as i";
      const { rows: expected } = await client.query<{ h: string }>(
        `select md5(string_agg(md5(i::text), '' order by i)) as h from generate_series(1, 600000) as i`,
      );
      const stream = (client as unknown as { connection: { stream: import("node:net").Socket } }).connection.stream;
      const answer = client.query<{ s: string }>(sql);
      stream.pause();
      await new Promise((r) => setTimeout(r, 500));
      stream.resume();
      const { rows } = await answer;
      expect(rows[0]!.s.length).toBe(600000 * 32);
      expect(createHash("md5").update(rows[0]!.s).digest("hex")).toBe(expected[0]!.h);
      const { rows: after } = await client.query<{ one: number }>("select 1 as one");
      expect(after[0]!.one).toBe(1);
    } finally {
      await client.end();
    }
  });

  it("an upstream refusal reaches the client unchanged (Azure's SQLSTATE and text)", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: proxy.port,
      database: "appdb",
      user: "alice@contoso.com",
      ssl: false,
    });
    const error = (await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as pg.DatabaseError;
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("28000");
    expect(error.severity).toBe("FATAL");
    // Exactly what a direct connection with the same principal's token gets from the server.
    const direct = new pg.Client({
      host: emu.host,
      port: emu.port,
      database: "appdb",
      user: "alice@contoso.com",
      password: emu.issueToken(mi().name),
      ssl: { ca: emu.ca, rejectUnauthorized: true },
    });
    const directError = (await direct.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as pg.DatabaseError;
    expect(directError.message).toMatch(/belongs to another principal/);
    expect({ message: error.message, code: error.code, detail: error.detail, hint: error.hint }).toEqual({
      message: directError.message,
      code: directError.code,
      detail: directError.detail,
      hint: directError.hint,
    });
    const logged = await proxy.waitForLog((l) => l.event === "login_refused" && l.role === "alice@contoso.com");
    expect(logged.refusal).toBe("another-principal");
    expect(String(logged.fix)).toContain(`Connect as "${mi().roleName}"`);
  });

  it("a role the server does not know: the server's 28P01 reaches psql, and the proxy logs the fix", async () => {
    const failed = await psql(
      `host=127.0.0.1 port=${proxy.port} dbname=appdb user=nobody sslmode=disable`,
      "select 1",
    ).then(
      () => "connected",
      (e: { stderr: string }) => e.stderr,
    );
    expect(failed).toMatch(/password authentication failed for user "nobody"/);
    const logged = await proxy.waitForLog((l) => l.event === "login_refused" && l.role === "nobody");
    expect(logged.refusal).toBe("unknown-role");
    expect(String(logged.fix)).toContain(`user=${mi().roleName}`);
  });

  it("the proxy's output never contains a token, at debug level with AZURE_LOG_LEVEL=verbose", () => {
    expect(proxy.output()).toMatch(/azure:identity:info|azure:postgresql-auth/); // the SDK's verbose log is on
    expect(proxy.logs.some((l) => l.event === "login_ok")).toBe(true);
    expect(containsJwt(proxy.output())).toBe(false);
  });
});

describe("proxy: role from the token", () => {
  it("--role-from-token ignores the client's user name (psql sends the OS user) and uses the managed identity's name", async () => {
    const own = await startProxyProcess(emu, ["--role-from-token", "--max-sigterm-delay", "10"]);
    try {
      const { stdout } = await psql(
        `host=127.0.0.1 port=${own.port} dbname=appdb user=whoever sslmode=disable`,
        "select current_user",
      );
      expect(stdout.trim()).toBe(mi().roleName);
    } finally {
      expect(await own.stop()).toBe(0);
    }
  });

  it("a client that sends an empty user name gets the role from the token", async () => {
    const net = await import("node:net");
    const { startupMessage } = await import("../../src/wire-protocol.js");
    const socket = net.connect(proxy.port, "127.0.0.1");
    const first = await new Promise<Buffer>((resolve, reject) => {
      socket.once("data", resolve);
      socket.once("error", reject);
      socket.write(
        startupMessage([
          ["user", ""],
          ["database", "appdb"],
        ]),
      );
    });
    socket.destroy();
    expect(first[0]).toBe("R".charCodeAt(0)); // AuthenticationOk from the server
    expect(first.readUInt32BE(5)).toBe(0);
  });
});

describe("proxy: credential failure", () => {
  it("the client gets a FATAL error with our code and message when no token can be had", async () => {
    const broken = await startProxyProcess(emu, [], managedIdentityEnv(emu, { IDENTITY_HEADER: "wrong-secret" }));
    try {
      const client = new pg.Client({
        host: "127.0.0.1",
        port: broken.port,
        database: "appdb",
        user: mi().roleName,
        ssl: false,
      });
      const error = (await client.connect().then(
        () => undefined,
        (e: unknown) => e,
      )) as pg.DatabaseError;
      expect(error.severity).toBe("FATAL");
      expect(error.code).toBe("28000");
      expect(error.message).toMatch(/^TOKEN_ACQUISITION_FAILED: /);
      const logged = await broken.waitForLog((l) => l.event === "credential_failed");
      expect(logged.code).toBe("TOKEN_ACQUISITION_FAILED");
    } finally {
      await broken.stop();
    }
  });
});
