// Several servers in one proxy process, configured by a YAML file and the environment, against
// the emulator reached under two names (localhost and 127.0.0.1): a listener each, one token for
// both (one cloud), metrics and one connection_closed line per connection carrying the server.
// Clients: psql, pgbench (a new connection per transaction), and a raw startup without a database.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { message, parseErrorFields, splitMessages, startupMessage } from "../../src/wire-protocol.js";
import { type CliProcess, containsJwt, managedIdentityEnv, spawnCli } from "./proxy-process.js";

const run = promisify(execFile);
let emu: Emulator;
let proxy: CliProcess;
const listeners = new Map<string, number>(); // server → local port
let httpPort: number;
const mi = () => emu.principals.managedIdentity;

beforeAll(async () => {
  emu = await startEmulator();
  emu.resetStats();
  const dir = mkdtempSync(join(tmpdir(), "azpg-servers-"));
  const config = join(dir, "proxy.yaml");
  writeFileSync(
    config,
    [
      `ca: ${emu.caFile}`,
      "json-logs: true",
      "http-port: 0",
      "max-sigterm-delay: 10",
      "servers:",
      `  - "localhost?port=${emu.port}&database=appdb"`,
      "  - host: 127.0.0.1",
      `    port: ${emu.port}`,
      "    database: postgres",
      "",
    ].join("\n"),
  );
  // The environment gives the listen port (0: a free one each); the file the rest.
  proxy = spawnCli(
    ["proxy", "--config-file", config],
    managedIdentityEnv(emu, { AZURE_POSTGRESQL_AUTH_LISTEN_PORT: "0" }),
  );
  for (const host of ["localhost", "127.0.0.1"]) {
    const line = await proxy.waitForLog((l) => l.event === "listening" && l.server === `${host}:${emu.port}`);
    listeners.set(host, Number(String(line.tcp).split(":").pop()));
  }
  httpPort = Number(
    String((await proxy.waitForLog((l) => l.event === "http_listening")).address)
      .split(":")
      .pop(),
  );
});
afterAll(async () => {
  await proxy?.stop();
  await emu?.stop();
});

const clean = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
async function psql(port: number, dbname: string, sql: string) {
  const { stdout } = await run(
    "psql",
    [`host=127.0.0.1 port=${port} dbname=${dbname} user=${mi().roleName} sslmode=disable`, "-X", "-At", "-c", sql],
    { env: clean },
  );
  return stdout.trim();
}

/** A client that names no database: logs in, asks current_database(), closes. */
function databaseOfRawClient(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const socket = net.connect(port, "127.0.0.1", () => socket.write(startupMessage([["user", mi().roleName]])));
    let asked = false;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const { messages, rest } = splitMessages(buffer);
      buffer = rest;
      for (const m of messages) {
        if (m.type === "E") reject(new Error(parseErrorFields(m.body).message));
        if (m.type === "Z" && !asked) {
          asked = true;
          socket.write(message("Q", Buffer.from("select current_database()\0")));
        } else if (m.type === "D") {
          const length = m.body.readInt32BE(2);
          resolve(m.body.toString("utf8", 6, 6 + length));
          socket.end(message("X", Buffer.alloc(0)));
        }
      }
    });
    socket.on("error", reject);
  });
}

/**
 * A client that logs in, sends Terminate and keeps its end of the socket open until the proxy
 * closes it: the server closes first, yet the client ended the session. Resolves with its port.
 */
function terminateWithoutClosing(port: number, dbname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () =>
      socket.write(
        startupMessage([
          ["user", mi().roleName],
          ["database", dbname],
        ]),
      ),
    );
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const { messages, rest } = splitMessages(buffer);
      buffer = rest;
      for (const m of messages) {
        if (m.type === "E") reject(new Error(parseErrorFields(m.body).message));
        if (m.type === "Z") socket.write(message("X", Buffer.alloc(0)));
      }
    });
    socket.on("error", reject);
    socket.on("end", () => {
      const localPort = socket.localPort ?? 0;
      socket.destroy();
      resolve(localPort);
    });
  });
}

describe("several servers in one proxy", () => {
  it("psql reaches each server through its own listener", async () => {
    expect(await psql(listeners.get("localhost")!, "appdb", "select current_user || ' ' || current_database()")).toBe(
      `${mi().roleName} appdb`,
    );
    expect(
      await psql(listeners.get("127.0.0.1")!, "postgres", "select current_user || ' ' || current_database()"),
    ).toBe(`${mi().roleName} postgres`);
  });

  it("a client that names no database gets its server's database=", async () => {
    expect(await databaseOfRawClient(listeners.get("localhost")!)).toBe("appdb");
    expect(await databaseOfRawClient(listeners.get("127.0.0.1")!)).toBe("postgres");
  });

  it("pgbench with a new connection per transaction, through one of them", async () => {
    const port = String(listeners.get("127.0.0.1")!);
    const env = { ...clean, PGHOST: "127.0.0.1", PGPORT: port, PGUSER: mi().roleName, PGSSLMODE: "disable" };
    await run("pgbench", ["-i", "-s", "1", "-q", "appdb"], { env });
    const { stdout } = await run("pgbench", ["-C", "-c", "4", "-j", "2", "-t", "25", "appdb"], { env });
    expect(stdout).toMatch(/number of transactions actually processed: 100\/100/);
    expect(stdout).toMatch(/number of failed transactions: 0/);
  });

  it("a session the server ends is logged with reason server_closed", async () => {
    const port = listeners.get("localhost")!;
    const ended = await run(
      "psql",
      [
        `host=127.0.0.1 port=${port} dbname=appdb user=${mi().roleName} sslmode=disable application_name=ended-by-server`,
        "-X",
        "-At",
        "-c",
        "select pg_terminate_backend(pg_backend_pid())",
      ],
      { env: clean },
    ).then(
      () => "no error",
      (e: { stderr: string }) => e.stderr,
    );
    expect(ended).toMatch(/terminating connection due to administrator command/);
    const line = await proxy.waitForLog(
      (l) => l.event === "connection_closed" && l.reason === "server_closed" && l.server === `localhost:${emu.port}`,
    );
    expect(line).toMatchObject({ server: `localhost:${emu.port}`, role: mi().roleName, database: "appdb" });
  });

  it("a client that sends Terminate ended the session (client_closed), even when the server's close is seen first", async () => {
    const port = await terminateWithoutClosing(listeners.get("127.0.0.1")!, "postgres");
    const line = await proxy.waitForLog((l) => l.event === "connection_closed" && l.client === `127.0.0.1:${port}`);
    expect(line).toMatchObject({ server: `127.0.0.1:${emu.port}`, reason: "client_closed" });
  });

  it("the servers of one cloud share one token", () => {
    expect(emu.stats().tokenRequests.byPrincipal[mi().name]).toBe(1);
    expect(emu.stats().logins.refused).toBe(0);
  });

  it("/metrics counts per server", async () => {
    const lines = (await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).split("\n");
    const total = (server: string) =>
      Number(lines.find((l) => l.startsWith(`azure_pg_proxy_connections_total{server="${server}"}`))?.split(" ")[1]);
    expect(total(`localhost:${emu.port}`)).toBe(3); // psql, the raw client, the session the server ended
    expect(total(`127.0.0.1:${emu.port}`)).toBeGreaterThanOrEqual(2 + 100); // psql, raw, pgbench -i and 100 transactions
    expect(lines).toContain("azure_pg_proxy_token_requests_total 1");
  });

  it("one connection_closed line per connection: server, client, role, database, duration, bytes, reason", async () => {
    await proxy.waitForLog(
      (l) => l.event === "connection_closed" && l.server === `localhost:${emu.port}` && l.database === "appdb",
    );
    const closed = proxy.logs.filter((l) => l.event === "connection_closed");
    expect(closed.length).toBeGreaterThanOrEqual(104);
    const first = closed.find((l) => l.server === `localhost:${emu.port}`)!;
    expect(first).toMatchObject({
      level: "info",
      client: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      role: mi().roleName,
      database: "appdb",
      reason: "client_closed",
    });
    expect(first.bytesFromClient).toBeGreaterThan(0);
    expect(first.bytesToClient).toBeGreaterThan(0);
    expect(typeof first.durationMs).toBe("number");
    expect(closed.filter((l) => l.reason !== "client_closed").map((l) => l.reason)).toEqual(["server_closed"]);
    expect(containsJwt(proxy.output())).toBe(false);
  });
});
