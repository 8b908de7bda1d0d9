// Identity outages: how long callers wait, what they get, how often the credential is called and
// how fast the cache recovers. Fake timers; the credentials take their time the way real ones do
// (ManagedIdentityCredential fails after 4–6 s of its own retries in an outage).
import type { AccessToken } from "@azure/core-auth";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support";
import { describe, expect, it, vi } from "vitest";
import type { EntraAuthError } from "../src/index.js";
import { useFakeClockCache } from "./use-fake-clock-cache.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];
const minute = 60_000;

/** A credential whose behaviour the test switches: answer time, and whether it fails (with an HTTP status). */
function scriptedCredential(lifetimeMs = 60 * minute) {
  const state = { failing: false, status: 500, delayMs: 0, hang: false };
  let n = 0;
  const credential = fakeCredential(async () => {
    n += 1;
    const { failing, status, delayMs, hang } = state;
    if (hang) await new Promise(() => undefined);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (failing) throw Object.assign(new Error(`identity endpoint answered ${status} (${n})`), { statusCode: status });
    return { token: fakeJwt({ n }), expiresOnTimestamp: Date.now() + lifetimeMs };
  });
  return { credential, state };
}

/** Records when a promise settles (fake time) and how. */
function track<T>(promise: Promise<T>) {
  const started = Date.now();
  const result: { settled: boolean; ms: number; value?: T; error?: EntraAuthError } = { settled: false, ms: -1 };
  promise.then(
    (value) => Object.assign(result, { settled: true, ms: Date.now() - started, value }),
    (error: EntraAuthError) => Object.assign(result, { settled: true, ms: Date.now() - started, error }),
  );
  return result;
}

const cache = useFakeClockCache();

describe("EntraTokenCache in an identity outage", () => {
  it("outage after expiry, refreshes failing before it: callers get TOKEN_ACQUISITION_FAILED with the cause at once", async () => {
    const { credential, state } = scriptedCredential(10 * minute);
    const good = await cache().getToken(credential, { scopes });
    Object.assign(state, { failing: true, delayMs: 5_000 }); // like ManagedIdentityCredential: 4 requests, ~5 s
    // Connections every second through the refresh window and past expiry.
    const results: Array<ReturnType<typeof track<AccessToken>>> = [];
    vi.setSystemTime(good.expiresOnTimestamp - 2 * minute);
    while (Date.now() < good.expiresOnTimestamp + 30_000) {
      results.push(track(cache().getToken(credential, { scopes })));
      await vi.advanceTimersByTimeAsync(1_000);
    }
    await vi.advanceTimersByTimeAsync(5_000);
    const afterExpiry = results.filter((r) => r.error !== undefined);
    expect(afterExpiry.length).toBeGreaterThanOrEqual(29);
    expect(results.filter((r) => r.value !== undefined).every((r) => r.value === good)).toBe(true);
    for (const r of afterExpiry) {
      expect(r.error?.code).toBe("TOKEN_ACQUISITION_FAILED");
      expect(r.error?.cause).toMatchObject({ statusCode: 500 });
      expect(r.ms).toBeLessThanOrEqual(3_000); // the one caller that starts an attempt waits at most the budget
    }
    expect(afterExpiry.filter((r) => r.ms === 0).length).toBeGreaterThanOrEqual(afterExpiry.length - 6);
  });

  it("outage that begins while nobody connects: the first caller after expiry gets an EntraAuthError within 3 s, later ones at once", async () => {
    const { credential, state } = scriptedCredential(10 * minute);
    const good = await cache().getToken(credential, { scopes });
    Object.assign(state, { failing: true, delayMs: 5_000 });
    vi.setSystemTime(good.expiresOnTimestamp + 1_000);
    const first = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(first.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(first.error?.code).toBe("TOKEN_ACQUISITION_TIMEOUT"); // the credential has not said why yet
    expect(first.error?.message).toMatch(/within 3000 ms.*fail at once/);
    const second = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(0);
    expect(second.error).toBe(first.error);
    expect(credential.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000); // the credential's call fails: now callers get its cause
    const third = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(0);
    expect(third.error?.code).toBe("TOKEN_ACQUISITION_FAILED");
    expect(third.error?.cause).toMatchObject({ statusCode: 500 });
    expect(credential.calls).toHaveLength(2);
  });

  it("a refresh that has run longer than the budget counts as stalled: after expiry callers get an EntraAuthError at once", async () => {
    const { credential, state } = scriptedCredential(10 * minute);
    const good = await cache().getToken(credential, { scopes });
    state.hang = true;
    vi.setSystemTime(good.expiresOnTimestamp - minute); // the refresh window: a background refresh starts (and hangs)
    expect(await cache().getToken(credential, { scopes })).toBe(good);
    vi.setSystemTime(good.expiresOnTimestamp);
    const after = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(0);
    expect(after.error?.code).toBe("TOKEN_ACQUISITION_TIMEOUT");
    expect(after.error?.message).toMatch(/within 3000 ms \(its call has been running for 60\.0 s\)/);
    expect(credential.calls).toHaveLength(2);
  });

  it("cold start: before the credential has ever answered, callers wait for it (up to timeoutMs)", async () => {
    const { credential, state } = scriptedCredential();
    state.delayMs = 10_000; // a slow developer credential's first call
    const first = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(first.value?.token).toEqual(expect.any(String));
    expect(first.ms).toBe(10_000);
  });

  it("the caller budget is twice the credential's last successful call when that is longer than 3 s", async () => {
    const { credential, state } = scriptedCredential(10 * minute);
    state.delayMs = 2_500;
    const firstToken = cache().getToken(credential, { scopes });
    await vi.advanceTimersByTimeAsync(2_500);
    const good = await firstToken;
    state.hang = true;
    vi.setSystemTime(good.expiresOnTimestamp);
    const waiting = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(waiting.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.error?.code).toBe("TOKEN_ACQUISITION_TIMEOUT");
  });

  it("a credential still in its own retries at the budget: the caller gets an EntraAuthError at 3 s, the call is not aborted, and its late token serves the next caller at once", async () => {
    const { credential, state } = scriptedCredential(10 * minute);
    const good = await cache().getToken(credential, { scopes });
    vi.setSystemTime(good.expiresOnTimestamp + 1_000);
    // ManagedIdentityCredential retrying on its own (500s, then the endpoint is back): a token after 5 s.
    state.delayMs = 5_000;
    const first = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(first.error?.code).toBe("TOKEN_ACQUISITION_TIMEOUT");
    expect(first.error?.message).toMatch(/retryOptions: \{ maxRetries: 0 \}/);
    const signal = (credential.calls[1]?.options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000); // the call returns its token
    const next = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.value?.token).toEqual(expect.any(String));
    expect(next.value).not.toBe(good);
    expect(next.ms).toBe(0);
    expect(credential.calls).toHaveLength(2);
  });

  it.each([
    ["ManagedIdentityCredential, 4.5 s per failing call", 4_500],
    ["DefaultAzureCredential's managed identity, 21.7 s per failing call", 21_700],
  ])(
    "bounded load (%s): one call at a time, the next 1 s after the last failed, at most 60 / (call + 1 s) calls a minute",
    async (_label, callMs) => {
      const { credential, state } = scriptedCredential();
      Object.assign(state, { failing: true, delayMs: callMs });
      const inFlight = { now: 0, max: 0 };
      const getToken = credential.getToken.bind(credential);
      credential.getToken = async (...args: Parameters<typeof getToken>) => {
        inFlight.max = Math.max(inFlight.max, ++inFlight.now);
        try {
          return await getToken(...args);
        } finally {
          inFlight.now -= 1;
        }
      };
      for (let t = 0; t < 60_000; t += 50) {
        track(cache().getToken(credential, { scopes }));
        await vi.advanceTimersByTimeAsync(50);
      }
      expect(inFlight.max).toBe(1);
      expect(credential.calls.length).toBeLessThanOrEqual(Math.ceil(60_000 / (callMs + 1_000)) + 1);
    },
  );

  it("bounded load: 20 callers a second for 60 s without a valid token make one credential call per attempt + 1 s", async () => {
    const { credential, state } = scriptedCredential();
    Object.assign(state, { failing: true, delayMs: 5_000 });
    const first = cache()
      .getToken(credential, { scopes })
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(5_000);
    await first;
    const results: Array<ReturnType<typeof track<AccessToken>>> = [];
    for (let t = 0; t < 60_000; t += 50) {
      results.push(track(cache().getToken(credential, { scopes })));
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(5_000);
    // Attempts start 1 s after the previous one failed and take 5 s: at most 60 / 6 + 1 in 60 s.
    expect(credential.calls.length - 1).toBeLessThanOrEqual(11);
    expect(results.every((r) => r.error !== undefined && r.ms <= 3_000)).toBe(true);
    const waited = results.filter((r) => r.ms > 0).length;
    expect(waited).toBeLessThanOrEqual(11); // only the caller that starts an attempt waits
  });

  it.each([
    ["shortest", 0],
    ["longest", 0.999],
  ])(
    "recovery (%s jitter): once the credential answers again, a connection succeeds within retryInitialMs",
    async (_label, random) => {
      vi.spyOn(Math, "random").mockReturnValue(random);
      const { credential, state } = scriptedCredential();
      state.failing = true;
      for (let t = 0; t < 20_000; t += 100) {
        track(cache().getToken(credential, { scopes }));
        await vi.advanceTimersByTimeAsync(100);
      }
      state.failing = false;
      const recoveredAt = Date.now();
      let succeededAt: number | undefined;
      const results: Array<ReturnType<typeof track<AccessToken>>> = [];
      while (succeededAt === undefined && Date.now() - recoveredAt < 10_000) {
        results.push(track(cache().getToken(credential, { scopes })));
        await vi.advanceTimersByTimeAsync(100);
        succeededAt = results.find((r) => r.value !== undefined) && Date.now();
      }
      expect(succeededAt).toBeDefined();
      expect((succeededAt ?? Infinity) - recoveredAt).toBeLessThanOrEqual(1_000 + 100);
    },
  );

  it.each([
    ["12 s", 12_000],
    ["90 s", 90_000],
    ["1 h", 60 * minute],
  ])(
    "never fails while a token is valid (%s token): an outage that ends before expiry loses no connection",
    async (_label, lifetimeMs) => {
      const { credential, state } = scriptedCredential(lifetimeMs);
      const good = await cache().getToken(credential, { scopes });
      Object.assign(state, { failing: true, delayMs: 5_000 });
      // Connections every 100 ms from the middle of the token's life; the outage ends 1 s + one call before expiry.
      vi.setSystemTime(Date.now() + lifetimeMs / 2);
      const results: Array<ReturnType<typeof track<AccessToken>>> = [];
      const outageEndsAt = good.expiresOnTimestamp - 1_000 - 5_000;
      while (Date.now() < good.expiresOnTimestamp + 5_000) {
        if (Date.now() >= outageEndsAt) state.failing = false;
        results.push(track(cache().getToken(credential, { scopes })));
        await vi.advanceTimersByTimeAsync(100);
      }
      await vi.advanceTimersByTimeAsync(5_000);
      expect(results.filter((r) => r.error !== undefined)).toEqual([]);
      expect(results.at(-1)?.value).not.toBe(good);
    },
  );

  it("in the last margin a caller waits for a hanging refresh at most until 1 s before expiry, then gets the valid token", async () => {
    const { credential, state } = scriptedCredential(12_000);
    const good = await cache().getToken(credential, { scopes });
    state.hang = true;
    vi.setSystemTime(good.expiresOnTimestamp - 2_500); // the last quarter (3 s)
    const waiting = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(waiting.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.value).toBe(good);
  });

  it("callers in the last margin wait for a refresh at most the budget from its start, and in the last second not at all", async () => {
    const { credential, state } = scriptedCredential(60_000);
    const good = await cache().getToken(credential, { scopes });
    state.hang = true;
    vi.setSystemTime(good.expiresOnTimestamp - 14_000); // the last quarter (15 s): this caller starts the refresh
    const first = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(2_000);
    const second = track(cache().getToken(credential, { scopes })); // joins a refresh running for 2 s: waits 1 s
    await vi.advanceTimersByTimeAsync(999);
    expect(first.settled || second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(first.value).toBe(good);
    expect(second.value).toBe(good);
    expect(second.ms).toBe(1_000);
    const third = track(cache().getToken(credential, { scopes })); // the refresh has run for the whole budget
    await vi.advanceTimersByTimeAsync(0);
    expect(third.value).toBe(good);
    vi.setSystemTime(good.expiresOnTimestamp - 900);
    const lastSecond = track(cache().getToken(credential, { scopes }));
    await vi.advanceTimersByTimeAsync(0);
    expect(lastSecond.value).toBe(good); // still valid: handed out at once
    expect(credential.calls).toHaveLength(2);
  });

  it.each([
    ["shortest", 0],
    ["longest", 0.999],
  ])(
    "transient failures are retried inside the attempt only within the 3 s budget (%s jitter)",
    async (_label, random) => {
      vi.spyOn(Math, "random").mockReturnValue(random);
      const fast = scriptedCredential();
      Object.assign(fast.state, { failing: true, status: 503 }); // a credential that does not retry by itself
      const fastResult = track(cache().getToken(fast.credential, { scopes }));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fastResult.error?.code).toBe("TOKEN_ACQUISITION_FAILED");
      expect(fastResult.ms).toBeLessThanOrEqual(3_000);
      // Retries 0.5–1 s apart while they fit in 3 s: 3 to 7 calls, never more than one a half second.
      expect(fast.credential.calls.length).toBeGreaterThanOrEqual(3);
      expect(fast.credential.calls.length).toBeLessThanOrEqual(7);

      const slow = scriptedCredential();
      Object.assign(slow.state, { failing: true, status: 500, delayMs: 5_000 }); // already retried on its own
      const slowResult = track(cache().getToken(slow.credential, { scopes }));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(slowResult.error?.code).toBe("TOKEN_ACQUISITION_FAILED");
      expect(slow.credential.calls).toHaveLength(1); // ours never multiplies the credential's own retries
    },
  );
});
