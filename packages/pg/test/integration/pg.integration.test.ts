// End-to-end: pg against a real PostgreSQL behind the emulator's TLS front, which checks Entra
// tokens the way Azure does. Real TLS with verification everywhere.

import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entraTokenProvider } from "../../src/index.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

function poolFor(user: string, password: pg.PoolConfig["password"], extra: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({
    host: emu.host,
    port: emu.port,
    database: emu.database,
    user,
    password,
    ssl: { ca: emu.ca, rejectUnauthorized: true },
    ...extra,
  });
}

async function _currentUser(pool: pg.Pool | pg.Client): Promise<string> {
  const { rows } = await pool.query<{ current_user: string }>("select current_user");
  return rows[0]!.current_user;
}

describe("pg with entraTokenProvider", () => {
  it("20 pooled connections run at once on distinct backend sessions, from one token request", async () => {
    const name = emu.principals.servicePrincipal.name;
    const credential = emu.credential(name);
    emu.resetStats();
    const pool = poolFor(emu.principals.servicePrincipal.roleName, entraTokenProvider(credential), { max: 20 });
    try {
      const clients = await Promise.all(Array.from({ length: 20 }, () => pool.connect()));
      const pids = await Promise.all(
        clients.map(
          async (c) => (await c.query<{ pid: number }>("select pg_backend_pid() as pid, pg_sleep(0.05)")).rows[0]!.pid,
        ),
      );
      for (const c of clients) c.release();
      expect(new Set(pids).size).toBe(20);
      expect(emu.stats().tokenRequests.byPrincipal[name]).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("a storm whose first token request is answered 429 loses no connection: one shared attempt, retried", async () => {
    const principal = emu.principals.servicePrincipal;
    // The in-process credential has no retries of its own (unlike @azure/identity): only ours retry here.
    emu.configurePrincipal(principal.name, { failNext: 1, failStatus: 429 });
    emu.resetStats();
    const credential = emu.credential(principal.name);
    const password = entraTokenProvider(credential);
    const clients = Array.from(
      { length: 60 },
      () =>
        new pg.Client({
          host: emu.host,
          port: emu.port,
          database: emu.database,
          user: principal.roleName,
          password,
          ssl: { ca: emu.ca, rejectUnauthorized: true },
        }),
    );
    try {
      const outcomes = await Promise.allSettled(clients.map((c) => c.connect()));
      expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
      expect(emu.stats().failed).toBe(1);
      expect(emu.stats().tokenRequests.byPrincipal[principal.name]).toBe(2);
      expect(emu.stats().logins.ok).toBe(60);
    } finally {
      emu.configurePrincipal(principal.name, { failNext: 0, failStatus: undefined });
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});

describe("what the server refuses", () => {
  const connect = async (config: pg.ClientConfig) => {
    const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, ...config });
    try {
      await client.connect();
      await client.end();
      return "connected";
    } catch (error) {
      return String((error as Error).message);
    }
  };
  const tls = () => ({ ca: emu.ca, rejectUnauthorized: true });

  it("an expired token", async () => {
    const token = emu.issueToken(emu.principals.user.name, { expiresAt: Date.now() - 60_000 });
    expect(await connect({ user: "alice@contoso.com", password: token, ssl: tls() })).toBe(
      "The access token has expired. Please acquire a new token and retry.",
    );
  });

  it("a token for another audience", async () => {
    const token = emu.issueToken(emu.principals.user.name, { audience: "https://management.azure.com" });
    expect(await connect({ user: "alice@contoso.com", password: token, ssl: tls() })).toMatch(
      /does not have a valid audience claim.*ossrdbms-aad\.database\.windows\.net/,
    );
  });

  it("a token of another principal", async () => {
    const token = emu.issueToken(emu.principals.servicePrincipal.name);
    const message = await connect({ user: "alice@contoso.com", password: token, ssl: tls() });
    expect(message).toMatch(/alice@contoso\.com/);
    expect(message).not.toContain(token);
  });

  it("a password that is not a JWT", async () => {
    expect(await connect({ user: "alice@contoso.com", password: "hunter2", ssl: tls() })).toMatch(/invalid format/);
  });

  it("plaintext", async () => {
    const token = emu.issueToken(emu.principals.user.name);
    expect(await connect({ user: "alice@contoso.com", password: token, ssl: false })).toMatch(
      /SSL connection is required/,
    );
  });
});
