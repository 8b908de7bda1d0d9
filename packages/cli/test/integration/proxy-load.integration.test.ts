// The proxy under many connections, across token expiry, with cancel, SIGTERM, health and metrics.
import net from "node:net";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsJwt, startProxyProcess } from "./proxy-process.js";

let emu: Emulator;
const mi = () => emu.principals.managedIdentity;
const clientFor = (port: number, extra: pg.ClientConfig = {}) =>
  new pg.Client({ host: "127.0.0.1", port, database: "appdb", user: mi().roleName, ssl: false, ...extra });

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

describe("proxy: one token for many connections", () => {
  it("200 concurrent connections through the proxy cause one token request", async () => {
    emu.configurePrincipal(mi().name, { latencyMs: 300 }); // every connection arrives while the first token is on its way
    emu.resetStats();
    const proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "10"]);
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const client = clientFor(proxy.port);
          try {
            await client.connect();
            return (await client.query<{ u: string }>("select current_user as u")).rows[0]!.u;
          } catch (error) {
            return `${(error as pg.DatabaseError).code ?? (error as Error).message}`;
          } finally {
            await client.end().catch(() => undefined);
          }
        }),
      );
      expect(emu.stats().tokenRequests.byPrincipal[mi().name]).toBe(1);
      expect(outcomes.filter((o) => o !== mi().roleName)).toEqual([]); // all 200 logged in
      const { logins } = emu.stats();
      expect(logins).toMatchObject({ ok: 200, refused: 0 });
    } finally {
      emu.configurePrincipal(mi().name, { latencyMs: 0 });
      await proxy.stop();
    }
  });
});

describe("proxy: tokens expire, connections go on", () => {
  it("new connections keep logging in across the expiry of short tokens", async () => {
    emu.configurePrincipal(mi().name, { tokenLifetimeSeconds: 3 });
    emu.resetStats();
    const proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "10"]);
    try {
      const started = Date.now();
      let connections = 0;
      while (Date.now() - started < 8_000) {
        const client = clientFor(proxy.port);
        await client.connect();
        expect((await client.query<{ u: string }>("select current_user as u")).rows[0]!.u).toBe(mi().roleName);
        await client.end();
        connections += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
      const stats = emu.stats();
      expect(stats.logins.refused).toBe(0);
      expect(stats.logins.ok).toBe(connections);
      expect(stats.tokenRequests.byPrincipal[mi().name]).toBeGreaterThanOrEqual(3); // tokens rotated
      expect(stats.tokenRequests.byPrincipal[mi().name]).toBeLessThan(connections / 2); // but were cached in between
    } finally {
      emu.configurePrincipal(mi().name, { tokenLifetimeSeconds: 3600 });
      await proxy.stop();
    }
  });
});

describe("proxy: cancel, limits, local password, Unix socket", () => {
  it("a cancel request through the proxy cancels the running query", async () => {
    const proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "10"]);
    const busy = clientFor(proxy.port, { application_name: "cancel-me" });
    const watcher = clientFor(proxy.port);
    await Promise.all([busy.connect(), watcher.connect()]);
    try {
      const running = busy.query("select pg_sleep(60)").then(
        () => "finished",
        (e: pg.DatabaseError) => e.code,
      );
      const { processID, secretKey } = busy as unknown as { processID: number; secretKey: number };
      // Wait until the backend runs the query (poll, no fixed sleep).
      for (;;) {
        const { rows } = await watcher.query(
          "select 1 from pg_stat_activity where pid = $1 and state = 'active' and query like 'select pg_sleep%'",
          [processID],
        );
        if (rows.length === 1) break;
      }
      // A CancelRequest on a new connection to the proxy, as libpq and pg send it.
      const packet = Buffer.alloc(16);
      packet.writeUInt32BE(16, 0);
      packet.writeUInt32BE(80877102, 4);
      packet.writeUInt32BE(processID, 8);
      packet.writeInt32BE(secretKey, 12);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(proxy.port, "127.0.0.1", () => socket.end(packet));
        socket.on("close", () => resolve());
        socket.on("error", reject);
      });
      expect(await running).toBe("57014"); // query_canceled
      expect((await busy.query<{ one: number }>("select 1 as one")).rows[0]!.one).toBe(1); // the session lives on
    } finally {
      await Promise.all([busy.end(), watcher.end()]);
      await proxy.stop();
    }
  });

  it("--max-connections refuses the connection beyond the limit with 53300", async () => {
    const proxy = await startProxyProcess(emu, ["--max-connections", "1", "--max-sigterm-delay", "10"]);
    const first = clientFor(proxy.port);
    await first.connect();
    try {
      const second = clientFor(proxy.port);
      const error = (await second.connect().then(
        () => undefined,
        (e: unknown) => e,
      )) as pg.DatabaseError;
      expect(error.code).toBe("53300");
      expect(error.message).toMatch(/too many clients/);
      expect((await first.query<{ one: number }>("select 1 as one")).rows[0]!.one).toBe(1);
    } finally {
      await first.end();
      await proxy.stop();
    }
  });

  it("a local password: the right one logs in, a wrong one gets 28P01 from the proxy", async () => {
    const env = (await import("./proxy-process.js")).managedIdentityEnv(emu, {
      AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD: "local-s3cret",
    });
    const proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "10"], env);
    try {
      const good = clientFor(proxy.port, { password: "local-s3cret" });
      await good.connect();
      expect((await good.query<{ u: string }>("select current_user as u")).rows[0]!.u).toBe(mi().roleName);
      await good.end();
      const bad = clientFor(proxy.port, { password: "guess" });
      const error = (await bad.connect().then(
        () => undefined,
        (e: unknown) => e,
      )) as pg.DatabaseError;
      expect(error.code).toBe("28P01");
      expect(containsJwt(proxy.output())).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it("a Unix socket, owner-only (0600), that psql connects to", async () => {
    const { mkdtempSync, statSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { execFile } = await import("node:child_process");
    const dir = mkdtempSync(join(tmpdir(), "azpg-proxy-"));
    const path = join(dir, ".s.PGSQL.5432");
    const proxy = await startProxyProcess(emu, ["--unix-socket", path, "--max-sigterm-delay", "10"]);
    try {
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          "/usr/bin/psql",
          [`host=${dir} port=5432 dbname=appdb user=${mi().roleName}`, "-X", "-At", "-c", "select current_user"],
          { env: { PATH: process.env.PATH ?? "" } },
          (error, out) => (error ? reject(error) : resolve(out)),
        ),
      );
      expect(stdout.trim()).toBe(mi().roleName);
    } finally {
      await proxy.stop();
    }
  });
});

describe("proxy: production endpoints and shutdown", () => {
  it("answers /startup, /liveness, /readiness and /metrics; SIGTERM stops accepting, drains, then exits 0", async () => {
    emu.resetStats();
    const proxy = await startProxyProcess(emu, ["--http-port", "0", "--max-sigterm-delay", "30"]);
    const url = (path: string) => `http://127.0.0.1:${proxy.httpPort}${path}`;
    const open = clientFor(proxy.port);
    try {
      for (const path of ["/startup", "/liveness", "/readiness"]) {
        const res = await fetch(url(path));
        expect([path, res.status]).toEqual([path, 200]);
      }
      await open.connect();
      await open.query("begin");
      await open.query("create temporary table t(x int)");
      const refused = clientFor(proxy.port, { user: "nobody" });
      await refused.connect().catch(() => undefined);

      let metrics = "";
      const server = `server="${emu.host}:${emu.port}"`;
      do
        metrics = await (await fetch(url("/metrics"))).text(); // until the refused client's socket has closed
      while (!metrics.split("\n").includes(`azure_pg_proxy_connections_open{${server}} 1`));
      const lines = metrics.split("\n");
      expect(lines).toContain(`azure_pg_proxy_connections_total{${server}} 2`);
      expect(lines).toContain("azure_pg_proxy_token_requests_total 1");
      expect(lines).toContain(`azure_pg_proxy_login_failures_total{code="28P01",${server}} 1`);
      const relayed = new RegExp(
        `^azure_pg_proxy_bytes_relayed_total\\{direction="server_to_client",${server}\\} (\\d+)$`,
        "m",
      ).exec(metrics);
      expect(Number(relayed?.[1])).toBeGreaterThan(0);
      expect(containsJwt(metrics)).toBe(false);

      proxy.child.kill("SIGTERM");
      await proxy.waitForLog((l) => l.event === "shutdown");
      expect((await fetch(url("/readiness"))).status).toBe(503); // draining
      const late = clientFor(proxy.port);
      await expect(late.connect()).rejects.toThrow(/ECONNREFUSED/); // no longer accepting
      // The open connection finishes its work.
      await open.query("insert into t values (1)");
      expect((await open.query<{ n: string }>("select count(*) as n from t")).rows[0]!.n).toBe("1");
      await open.query("commit");
      await open.end();
      expect(await proxy.exited).toBe(0);
    } finally {
      await open.end().catch(() => undefined);
      await proxy.stop();
    }
  });

  it("SIGTERM with a connection still open after --max-sigterm-delay closes it and exits 5", async () => {
    const proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "0.5"]);
    const open = clientFor(proxy.port);
    await open.connect();
    const ended = new Promise<void>((resolve) => open.once("end", () => resolve()));
    open.on("error", () => undefined);
    proxy.child.kill("SIGTERM");
    expect(await proxy.exited).toBe(5);
    await ended;
  });
});
