// The server's clock 30 s ahead of this machine's: a token this machine still finds valid is
// refused as expired ("The access token has expired"). The proxy (the real bin) and `check` retry
// that login once with a fresh token; the cache learns the skew, so the proxy's later tokens are
// refreshed before the server would refuse them.
import { setTimeout as sleep } from "node:timers/promises";
import type { AccessToken } from "@azure/core-auth";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConnection } from "../../src/index.js";
import { containsJwt, managedIdentityEnv, type ProxyProcess, startProxyProcess } from "./proxy-process.js";

// The cache is scale-free (it refreshes in the last quarter of a token's life and moves expiries by at
// most three quarters of the remaining lifetime), so half of Azure-like figures test the same rules in
// half the time: the skew is three quarters of the lifetime, as 60 s of an 80 s token would be.
const SKEW_SECONDS = 30;
/** Valid for 10 s by the server's clock, 40 s by ours. */
const LIFETIME_SECONDS = 40;
let emu: Emulator;
const mi = () => emu.principals.managedIdentity;

beforeAll(async () => {
  emu = await startEmulator();
  emu.configurePrincipal(mi().name, { tokenLifetimeSeconds: LIFETIME_SECONDS });
  emu.configureServer({ clockSkewSeconds: SKEW_SECONDS });
});
afterAll(async () => {
  await emu?.stop();
});

/** Keeps `step` going until `done()` holds, failing after a generous ceiling (load may slow it, never break it). */
async function until(done: () => boolean, step: () => Promise<void>, what: string, ceilingMs = 180_000): Promise<void> {
  const deadline = Date.now() + ceilingMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await step();
  }
}

describe("proxy, the server's clock 30 s ahead", () => {
  let proxy: ProxyProcess;
  beforeAll(async () => {
    proxy = await startProxyProcess(emu, ["--http-port", "0"], managedIdentityEnv(emu));
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("retries the first expired refusal with a fresh token, then refreshes early: 0 refused logins after the first", async () => {
    const failures: string[] = [];
    let connections = 0;
    const connect = async () => {
      const client = new pg.Client({
        host: "127.0.0.1",
        port: proxy.port,
        database: "appdb",
        user: mi().roleName,
        ssl: false,
      });
      client.on("error", () => undefined);
      try {
        await client.connect();
        await client.query("select 1");
        connections += 1;
      } catch (error) {
        failures.push((error as Error).message);
      } finally {
        await client.end().catch(() => undefined);
      }
      await sleep(200);
    };
    const requests = () => emu.stats().tokenRequests.byPrincipal[mi().name] ?? 0;
    emu.resetStats();
    await until(() => emu.stats().logins.refused >= 1, connect, "the first refusal (about 10 s)");
    const atFirstRefusal = requests();
    // Two more token refreshes after the retry's fresh token: the learned skew must carry them.
    await until(() => requests() >= atFirstRefusal + 3, connect, "two refreshes after the first refusal");
    expect(failures).toEqual([]);
    expect(connections).toBeGreaterThan(20);
    expect(emu.stats().logins.refused).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^azure_pg_proxy_expired_token_retries_total\{server="[^"]+"\} 1$/m);
    expect(proxy.logs.filter((l) => l.event === "expired_token_retried")).toEqual([
      expect.objectContaining({ ok: true }),
    ]);
    expect(containsJwt(proxy.output())).toBe(false);
  });
});

describe("check, the server's clock 30 s ahead", () => {
  /** Hands out a token with 20 s left first (as a credential's own cache may), then fresh ones. */
  function cachingCredential(firstLeftMs: number, thenLeftMs?: number) {
    let calls = 0;
    const issue = (leftMs: number): AccessToken => {
      const expiresOnTimestamp = Date.now() + leftMs;
      return { token: emu.issueToken(mi().name, { expiresAt: expiresOnTimestamp }), expiresOnTimestamp };
    };
    return {
      get calls() {
        return calls;
      },
      async getToken(): Promise<AccessToken> {
        calls += 1;
        return calls === 1 || thenLeftMs === undefined ? issue(firstLeftMs) : issue(thenLeftMs);
      },
    };
  }
  const check = (credential: ReturnType<typeof cachingCredential>) =>
    checkConnection({ host: emu.host, port: emu.port, ca: emu.ca, database: "appdb", user: mi().roleName, credential });

  it("logs in with a fresh token after the expired refusal and says the clock is behind", async () => {
    const credential = cachingCredential(20_000, LIFETIME_SECONDS * 1000);
    const refusedBefore = emu.stats().logins.refused;
    const result = await check(credential);
    expect(result.ok).toBe(true);
    expect(result.currentUser).toBe(mi().roleName);
    const login = result.steps.find((s) => s.step === "login");
    expect(login?.detail).toMatch(/refused the first token as expired.*clock is behind/);
    expect(login?.fix).toMatch(/NTP/);
    expect(credential.calls).toBe(2);
    expect(emu.stats().logins.refused - refusedBefore).toBe(1);
  });

  it("retries once only: a second expired refusal is the answer", async () => {
    const credential = cachingCredential(20_000, 20_000);
    const refusedBefore = emu.stats().logins.refused;
    const result = await check(credential);
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toMatchObject({ step: "login", ok: false, refusal: "expired", sqlstate: "28000" });
    expect(credential.calls).toBe(2);
    expect(emu.stats().logins.refused - refusedBefore).toBe(2);
  });
});
