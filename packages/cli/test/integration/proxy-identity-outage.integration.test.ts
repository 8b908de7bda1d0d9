// An identity outage through the proxy (the real bin, its default DefaultAzureCredential on the emulator's
// managed identity endpoint). The CLI builds its credential with retryOptions: { maxRetries: 0 }, so the
// token cache's retry budget is the only schedule: a client logging in while no valid token is cached is
// refused with TOKEN_ACQUISITION_FAILED and the endpoint's HTTP 500 answer as the cause (not a
// TOKEN_ACQUISITION_TIMEOUT without a cause, as while the credential waits out its own retries), and a
// login succeeds once the endpoint is back. What is checked is what happens, not how fast (the figures
// are `pnpm bench`'s identity-outage rows); the ceilings only catch a hang.
// The refusal's form on a credential that cannot sign in at all: proxy.integration.test.ts.
import { setTimeout as sleep } from "node:timers/promises";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsJwt, type ProxyProcess, startProxyProcess } from "./proxy-process.js";

/** The shortest lifetime the tests use: the proxy's warm-up token has expired 2 s after it was issued. */
const LIFETIME_SECONDS = 2;
let emu: Emulator;
let proxy: ProxyProcess;
const mi = () => emu.principals.managedIdentity;
const endpointRequests = () => emu.stats().tokenRequests.byPrincipalAndWay[mi().name]?.managedIdentityEndpoint ?? 0;

beforeAll(async () => {
  emu = await startEmulator();
  emu.configurePrincipal(mi().name, { tokenLifetimeSeconds: LIFETIME_SECONDS });
  proxy = await startProxyProcess(emu);
});
afterAll(async () => {
  await proxy?.stop();
  await emu?.stop();
});

/** One login through the proxy and a query: the error it ended with, if any. */
async function login(): Promise<(Error & { code?: string; severity?: string }) | undefined> {
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
    return undefined;
  } catch (error) {
    return error as Error & { code?: string; severity?: string };
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("proxy, identity outage (the CLI's credential without retries of its own)", () => {
  it("no valid token: refused with TOKEN_ACQUISITION_FAILED and the redacted HTTP 500 answer as cause; a login succeeds once the endpoint is back", async () => {
    // The warm-up token (the proxy fetches one at start), then the outage while nobody connects.
    const ready = await proxy.waitForLog((l) => l.event === "token_ready");
    const warmedAt = Date.now();
    expect(ready).toBeDefined();
    expect(await login()).toBeUndefined();
    emu.configurePrincipal(mi().name, { outage: true });
    const requestsBefore = endpointRequests();
    await sleep(warmedAt + LIFETIME_SECONDS * 1000 + 200 - Date.now());

    const refused = await login();
    expect(refused?.severity).toBe("FATAL");
    expect(refused?.code).toBe("28000");
    expect(refused?.message).toMatch(/^TOKEN_ACQUISITION_FAILED: /);
    // The cause: the endpoint's own answer to the request (its HTTP 500 body), as the credential gave it.
    expect(refused?.message).toMatch(/ManagedIdentityCredential: Authentication failed\. Message injected_outage/);
    expect(containsJwt(refused?.message ?? "")).toBe(false);
    const logged = await proxy.waitForLog((l) => l.event === "credential_failed");
    expect(logged.code).toBe("TOKEN_ACQUISITION_FAILED");
    // One shared call of one request per try: the cache's budget (a retry 0.5-1 s apart within 3 s),
    // at most 6 requests, not the credential's own retries on top of it.
    const outageRequests = endpointRequests() - requestsBefore;
    expect(outageRequests).toBeGreaterThanOrEqual(1);
    expect(outageRequests).toBeLessThanOrEqual(6);

    // Recovery: a login every 100 ms until one succeeds (ceiling 30 s: a hang).
    emu.configurePrincipal(mi().name, { outage: false });
    const deadline = Date.now() + 30_000;
    let last = await login();
    while (last !== undefined && Date.now() < deadline) {
      expect(last.message).toMatch(/^TOKEN_ACQUISITION_FAILED: /); // from the backoff, never a hang or a timeout
      await sleep(100);
      last = await login();
    }
    expect(last).toBeUndefined();
    expect(containsJwt(proxy.output())).toBe(false);
  });
});
