// An identity outage with a real ManagedIdentityCredential created with retryOptions: { maxRetries: 0 }
// (the README's advice): the token cache's own schedule is then the only one. A pg.Pool with pg's
// connectionTimeoutMillis of 5 s against the emulator; every connection is a new physical one.
// Its own file (its own worker): MSAL keeps the first managed identity credential's HTTP client
// (and so its retry policy) for the whole process, so another test's credential would change this one.
import { ManagedIdentityCredential } from "@azure/identity";
import { EntraAuthError } from "@azure/postgresql-auth-core";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { useEmulatorEnvironment } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entraTokenProvider } from "../../src/index.js";

let emu: Emulator;
let restoreEnvironment: () => void;
beforeAll(async () => {
  emu = await startEmulator();
  restoreEnvironment = useEmulatorEnvironment(emu);
});
afterAll(async () => {
  restoreEnvironment?.();
  await emu?.stop();
});

interface Outcome {
  ok: boolean;
  start: number;
  end: number;
  error?: Error & { code?: string; cause?: unknown };
}

async function connectOnce(pool: pg.Pool): Promise<Outcome> {
  const start = Date.now();
  try {
    const client = await pool.connect();
    try {
      await client.query("select 1");
    } finally {
      client.release(true);
    }
    return { ok: true, start, end: Date.now() };
  } catch (error) {
    return { ok: false, start, end: Date.now(), error: error as Outcome["error"] };
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The status codes anywhere in an error's cause chain (the redacted copies keep `status` and `statusCode`). */
function statusesIn(error: unknown): unknown[] {
  const found: unknown[] = [];
  for (let e = error as { status?: unknown; statusCode?: unknown; cause?: unknown } | undefined; e; ) {
    found.push(e.status, e.statusCode);
    e = e.cause as typeof e;
  }
  return found.filter((s) => s !== undefined);
}

describe("identity outage, ManagedIdentityCredential without retries of its own", () => {
  // What is checked here is what happens, not how fast: the figures (first error within about 3 s,
  // recovery within about 1 s) are `pnpm bench`'s identity-outage rows, since a loaded machine can
  // stretch any duration. pg's connection timeout is a hang ceiling only (30 s).
  it("first caller without a token: TOKEN_ACQUISITION_FAILED with the 500 cause; callers at once share attempts; bounded load; recovery", async () => {
    const principal = await emu.addPrincipal({ kind: "managedIdentity", name: "outage-no-credential-retries" });
    const clientId = principal.kind === "managedIdentity" ? principal.clientId : "";
    emu.configurePrincipal(principal.name, { tokenLifetimeSeconds: 2 });
    const credential = new ManagedIdentityCredential({ clientId, retryOptions: { maxRetries: 0 } });
    const pool = new pg.Pool({
      host: emu.host,
      port: emu.port,
      database: emu.database,
      user: principal.roleName,
      password: entraTokenProvider(credential),
      ssl: { ca: emu.ca, rejectUnauthorized: true },
      connectionTimeoutMillis: 30_000,
    });
    pool.on("error", () => undefined);
    const requests = () => emu.stats().tokenRequests.byPrincipalAndWay[principal.name]?.managedIdentityEndpoint ?? 0;
    try {
      const warm = await connectOnce(pool);
      expect(warm.error).toBeUndefined();
      // The outage starts while nobody connects; the next connection comes after the token expired
      // (its exp is at most 2 s after it was issued, before the warm connection ended).
      emu.configurePrincipal(principal.name, { outage: true });
      const outageStarted = Date.now();
      const requestsBefore = requests();
      await pause(warm.end + 2_200 - Date.now());

      const first = await connectOnce(pool);
      expect(EntraAuthError.isInstance(first.error)).toBe(true);
      expect(first.error?.code).toBe("TOKEN_ACQUISITION_FAILED");
      expect(first.error?.message).toMatch(/Check that the credential can sign in here/);
      expect(statusesIn(first.error?.cause)).toContain(500);
      const afterFirst = requests();
      expect(afterFirst - requestsBefore).toBeGreaterThanOrEqual(1);

      // Ten callers at once share the attempts (one at a time, none within the 1 s backoff): at most
      // two attempts' 6 requests each even if the connections spread over a backoff step, never the
      // 4-6 per caller of attempts of their own; each gets our error, not pg's.
      const together = await Promise.all(Array.from({ length: 10 }, () => connectOnce(pool)));
      for (const outcome of together) expect(outcome.error?.code).toBe("TOKEN_ACQUISITION_FAILED");
      expect(requests() - afterFirst).toBeLessThanOrEqual(12);

      // Load over the whole outage: one attempt at a time, at most 6 requests each, the next 1 s
      // after the last failed: at most 6 requests per 1 s of outage plus one attempt (a bound that
      // grows with the time taken, so load on the machine cannot break it).
      const outageSeconds = (Date.now() - outageStarted) / 1000;
      const outageRequests = requests() - requestsBefore;
      expect(outageRequests).toBeLessThanOrEqual(6 * Math.ceil(outageSeconds + 1));

      // Recovery: a connection every 100 ms until one succeeds (ceiling 30 s: a hang).
      emu.configurePrincipal(principal.name, { outage: false });
      const recoveredAt = Date.now();
      let recovered: Outcome | undefined;
      while (!recovered?.ok && Date.now() - recoveredAt < 30_000) {
        recovered = await connectOnce(pool);
        if (!recovered.ok) await pause(100);
      }
      expect(recovered?.error).toBeUndefined();
      console.info(
        `identity outage without credential retries: first error ${first.end - first.start} ms, ` +
          `${outageRequests} endpoint requests in ${outageSeconds.toFixed(1)} s, ` +
          `recovery ${(recovered?.end ?? Number.NaN) - recoveredAt} ms`,
      );
    } finally {
      emu.configurePrincipal(principal.name, { outage: false });
      await pool.end();
    }
  });
});
