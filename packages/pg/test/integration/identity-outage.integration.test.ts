// Identity outages and clock skew, end to end: a pg.Pool (5 s connectionTimeoutMillis, as many
// applications set) against the emulator's TLS front. New physical connections only (each client
// is destroyed after use), so every connection asks for a token.
import { ManagedIdentityCredential } from "@azure/identity";
import { createEntraTokenSource, EntraAuthError } from "@azure/postgresql-auth-core";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { useEmulatorEnvironment } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entraTokenProvider } from "../../src/index.js";

let emu: Emulator;
let restoreEnvironment: () => void;
beforeAll(async () => {
  emu = await startEmulator();
  restoreEnvironment = useEmulatorEnvironment(emu); // IDENTITY_ENDPOINT / IDENTITY_HEADER for ManagedIdentityCredential
});
afterAll(async () => {
  restoreEnvironment?.();
  await emu?.stop();
});

function poolFor(user: string, password: pg.PoolConfig["password"]): pg.Pool {
  const pool = new pg.Pool({
    host: emu.host,
    port: emu.port,
    database: emu.database,
    user,
    password,
    ssl: { ca: emu.ca, rejectUnauthorized: true },
    connectionTimeoutMillis: 5_000,
  });
  pool.on("error", () => undefined);
  return pool;
}

interface Outcome {
  ok: boolean;
  ms: number;
  error?: Error & { code?: string; cause?: unknown };
}

/** One new physical connection and a query; the client is destroyed, never reused. */
async function connectOnce(pool: pg.Pool): Promise<Outcome> {
  const started = Date.now();
  try {
    const client = await pool.connect();
    try {
      await client.query("select 1");
    } finally {
      client.release(true);
    }
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, ms: Date.now() - started, error: error as Outcome["error"] };
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const requestsOf = (name: string) => emu.stats().tokenRequests.byPrincipalAndWay[name]?.managedIdentityEndpoint ?? 0;

describe("identity outage with a real ManagedIdentityCredential", () => {
  it("after the token expired: an EntraAuthError with cause and fix before pg's 5 s timeout, bounded endpoint load, then recovery", async () => {
    const principal = await emu.addPrincipal({ kind: "managedIdentity", name: "outage-after-expiry" });
    const clientId = principal.kind === "managedIdentity" ? principal.clientId : "";
    emu.configurePrincipal(principal.name, { tokenLifetimeSeconds: 6 });
    const pool = poolFor(principal.roleName, entraTokenProvider(new ManagedIdentityCredential({ clientId })));
    try {
      expect((await connectOnce(pool)).ok).toBe(true);
      emu.configurePrincipal(principal.name, { outage: true });
      const outageStarted = Date.now();
      const requestsBefore = requestsOf(principal.name);
      const outcomes: Outcome[] = [];
      // Until the credential's own call has failed (ManagedIdentityCredential retries for 5–25 s first) and 15 connections did.
      const failedWithCause = () => outcomes.some((o) => o.error?.code === "TOKEN_ACQUISITION_FAILED");
      while (outcomes.filter((o) => !o.ok).length < 15 || !failedWithCause()) {
        outcomes.push(await connectOnce(pool));
        await pause(200);
        if (Date.now() - outageStarted > 120_000) throw new Error("no failure with a cause within 2 minutes");
      }
      const outageSeconds = (Date.now() - outageStarted) / 1000;
      const requests = requestsOf(principal.name) - requestsBefore;
      for (const failed of outcomes.filter((o) => !o.ok)) {
        // Ours, never pg's "timeout expired": the error came before the driver gave up.
        expect(EntraAuthError.isInstance(failed.error)).toBe(true);
        expect(["TOKEN_ACQUISITION_FAILED", "TOKEN_ACQUISITION_TIMEOUT"]).toContain(failed.error?.code);
      }
      const withCause = outcomes.find((o) => o.error?.code === "TOKEN_ACQUISITION_FAILED")!;
      expect(withCause.error!.message).toMatch(/Check that the credential can sign in here/);
      expect(withCause.error!.cause).toBeDefined();
      for (const stalled of outcomes.filter((o) => o.error?.code === "TOKEN_ACQUISITION_TIMEOUT")) {
        expect(stalled.error!.message).toMatch(/its call has been running for [\d.]+ s/);
      }
      // One credential call per attempt, the next >= 1 s after it failed; a failing call is 4 requests in >= 3.5 s
      // (3 retries from 1 s) or 6 in >= 12.4 s (5 retries from 800 ms): at most 4 requests per 4.5 s.
      expect(requests).toBeLessThanOrEqual(4 * (outageSeconds / 4.5 + 2));

      emu.configurePrincipal(principal.name, { outage: false });
      let recovered: Outcome | undefined;
      for (let i = 0; i < 200 && !recovered?.ok; i++) {
        recovered = await connectOnce(pool);
        if (!recovered.ok) await pause(100);
      }
      expect(recovered?.ok).toBe(true);
    } finally {
      emu.configurePrincipal(principal.name, { outage: false });
      await pool.end();
    }
  });
});

describe("identity outage while the token is valid", () => {
  it("a 12 s token and an outage that ends 2.5 s before its expiry: 0 failed connections", async () => {
    const principal = await emu.addPrincipal({ kind: "managedIdentity", name: "outage-while-valid" });
    emu.configurePrincipal(principal.name, { tokenLifetimeSeconds: 12 });
    let expiresAt: number | undefined;
    const provider = entraTokenProvider(emu.credential(principal.name));
    const password = async (...parameters: Parameters<typeof provider>) => {
      const token = await provider(...parameters);
      expiresAt ??= Number(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp) * 1000;
      return token;
    };
    const pool = poolFor(principal.roleName, password as () => Promise<string>);
    try {
      expect((await connectOnce(pool)).ok).toBe(true);
      const firstExpiry = expiresAt!;
      emu.configurePrincipal(principal.name, { outage: true });
      const outcomes: Outcome[] = [];
      while (Date.now() < firstExpiry + 2_000) {
        if (Date.now() >= firstExpiry - 2_500) emu.configurePrincipal(principal.name, { outage: false });
        outcomes.push(await connectOnce(pool));
        await pause(100);
      }
      expect(emu.stats().failed).toBeGreaterThan(0); // the outage did hit refreshes
      expect(outcomes.filter((o) => !o.ok).map((o) => o.error?.message)).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(20);
    } finally {
      emu.configurePrincipal(principal.name, { outage: false });
      await pool.end();
    }
  });
});

describe("clock skew: the server's clock 8 s ahead, 12 s tokens", () => {
  it("invalidate() in the application's error handler: one refused connection, then none (the skew is learned)", async () => {
    const principal = await emu.addPrincipal({ kind: "managedIdentity", name: "skewed-clock" });
    emu.configurePrincipal(principal.name, { tokenLifetimeSeconds: 12 });
    const source = createEntraTokenSource(emu.credential(principal.name));
    const pool = poolFor(principal.roleName, async () => (await source.getAccessToken()).token);
    // The hook this project documents: where the application sees the refusal, drop the token.
    const connect = async () => {
      const outcome = await connectOnce(pool);
      if (outcome.error?.code === "28000" && /token.*expired/i.test(outcome.error.message)) source.invalidate();
      return outcome;
    };
    emu.configureServer({ clockSkewSeconds: 8 });
    const refusedBefore = emu.stats().logins.refused;
    const calls = () => emu.stats().tokenRequests.byPrincipal[principal.name] ?? 0;
    try {
      const outcomes: Outcome[] = [];
      const deadline = Date.now() + 120_000;
      while (emu.stats().logins.refused === refusedBefore) {
        outcomes.push(await connect());
        await pause(100);
        if (Date.now() > deadline) throw new Error("no refusal within 2 minutes");
      }
      const callsAtRefusal = calls();
      while (calls() < callsAtRefusal + 3) {
        outcomes.push(await connect());
        await pause(100);
        if (Date.now() > deadline) throw new Error("no token refreshes after the refusal");
      }
      const failed = outcomes.filter((o) => !o.ok);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.error?.message).toBe("The access token has expired. Please acquire a new token and retry.");
      expect(emu.stats().logins.refused - refusedBefore).toBe(1);
    } finally {
      emu.configureServer({ clockSkewSeconds: 0 });
      await pool.end();
    }
  });
});
