import type { AccessToken } from "@azure/core-auth";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it, vi } from "vitest";
import type { EntraAuthError, EntraTokenEvent } from "../src/index.js";
import { logger } from "../src/internal.js";
import { throttledOnce, useFakeClockCache } from "./use-fake-clock-cache.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];
const minute = 60_000;

/** A credential whose answers the test controls: each call gets the next token or a pending promise. */
function controlledCredential(lifetimeMs = 60 * minute, extra: Partial<AccessToken> = {}) {
  let issued = 0;
  const credential = fakeCredential(() => {
    issued += 1;
    return {
      token: fakeJwt({ upn: "alice@contoso.com", n: issued }),
      expiresOnTimestamp: Date.now() + lifetimeMs,
      ...extra,
    };
  });
  return credential;
}

function deferredCredential() {
  const pending: Array<{
    resolve: (t: AccessToken | null) => void;
    reject: (e: unknown) => void;
    signal?: AbortSignal;
  }> = [];
  const credential = {
    calls: 0,
    getToken(_scopes: string | string[], options?: { abortSignal?: AbortSignal }) {
      credential.calls += 1;
      return new Promise<AccessToken | null>((resolve, reject) =>
        pending.push({ resolve, reject, signal: options?.abortSignal }),
      );
    },
  };
  return { credential, pending };
}

const cache = useFakeClockCache();

describe("EntraTokenCache", () => {
  it("single-flight: 100 concurrent callers on a cold cache make one credential call", async () => {
    const { credential, pending } = deferredCredential();
    const callers = Array.from({ length: 100 }, () => cache().getToken(credential, { scopes }));
    expect(credential.calls).toBe(1);
    pending[0]!.resolve({ token: fakeJwt({ n: 1 }), expiresOnTimestamp: Date.now() + 60 * minute });
    const tokens = await Promise.all(callers);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(credential.calls).toBe(1);
  });

  it("reuses a token until its refresh point (2 minutes before expiry by default)", async () => {
    const credential = controlledCredential();
    const first = await cache().getToken(credential, { scopes });
    vi.setSystemTime(Date.now() + 57 * minute);
    expect(await cache().getToken(credential, { scopes })).toBe(first);
    expect(credential.calls).toHaveLength(1);
  });

  it("inside the refresh window returns the cached token at once and refreshes once in the background", async () => {
    const { credential, pending } = deferredCredential();
    const first = cache().getToken(credential, { scopes });
    pending[0]!.resolve({ token: fakeJwt({ n: 1 }), expiresOnTimestamp: Date.now() + 60 * minute });
    const old = await first;
    vi.setSystemTime(Date.now() + 59 * minute); // 60 s left: in the window, outside the 30 s margin
    const events: EntraTokenEvent[] = [];
    const during = await Promise.all(
      Array.from({ length: 10 }, () => cache().getToken(credential, { scopes, onTokenEvent: (e) => events.push(e) })),
    );
    expect(during.every((t) => t === old)).toBe(true); // nobody waited for the pending refresh
    expect(credential.calls).toBe(2);
    expect(events.filter((e) => e.type === "backgroundRefresh")).toHaveLength(1);
    expect(events.filter((e) => e.type === "cacheHit")).toHaveLength(10);
    pending[1]!.resolve({ token: fakeJwt({ n: 2 }), expiresOnTimestamp: Date.now() + 60 * minute });
    await vi.advanceTimersByTimeAsync(0);
    const fresh = await cache().getToken(credential, { scopes });
    expect(fresh).not.toBe(old);
    expect(credential.calls).toBe(2);
  });

  it("honours refreshAfterTimestamp", async () => {
    const credential = controlledCredential(24 * 60 * minute, {});
    const refreshAfter = Date.now() + 10 * minute;
    credential.getToken = vi.fn(async () => ({
      token: fakeJwt({ n: 1 }),
      expiresOnTimestamp: Date.now() + 24 * 60 * minute,
      refreshAfterTimestamp: refreshAfter,
    }));
    await cache().getToken(credential, { scopes });
    vi.setSystemTime(refreshAfter - 1000);
    await cache().getToken(credential, { scopes });
    expect(credential.getToken).toHaveBeenCalledTimes(1);
    vi.setSystemTime(refreshAfter + 1000);
    await cache().getToken(credential, { scopes });
    expect(credential.getToken).toHaveBeenCalledTimes(2);
  });

  it("in the last 30 seconds callers wait for a new token, sharing one call", async () => {
    const { credential, pending } = deferredCredential();
    const first = cache().getToken(credential, { scopes });
    pending[0]!.resolve({ token: fakeJwt({ n: 1 }), expiresOnTimestamp: Date.now() + 60 * minute });
    const old = await first;
    vi.setSystemTime(old.expiresOnTimestamp - 10_000);
    let settled = 0;
    const waiting = Array.from({ length: 5 }, () =>
      cache()
        .getToken(credential, { scopes })
        .finally(() => settled++),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(0);
    expect(credential.calls).toBe(2);
    pending[1]!.resolve({ token: fakeJwt({ n: 2 }), expiresOnTimestamp: Date.now() + 60 * minute });
    const tokens = await Promise.all(waiting);
    expect(tokens.every((t) => t !== old && t === tokens[0])).toBe(true);
  });

  it("a failed background refresh keeps serving the valid token and retries with capped backoff", async () => {
    let fail = false;
    let n = 0;
    const credential = fakeCredential(() => {
      n += 1;
      if (fail) throw new Error(`endpoint down ${n}`);
      return { token: fakeJwt({ n }), expiresOnTimestamp: Date.now() + 60 * minute };
    });
    const events: EntraTokenEvent[] = [];
    const request = {
      scopes,
      onTokenEvent: (e: EntraTokenEvent) => events.push(e),
      cache: { retryInitialMs: 1000, retryMaxMs: 4000 },
    };
    const good = await cache().getToken(credential, request);
    fail = true;
    vi.setSystemTime(good.expiresOnTimestamp - 100_000);
    const retryDelays: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await cache().getToken(credential, request)).toBe(good);
      await vi.advanceTimersByTimeAsync(0);
      const failed = events.filter((e) => e.type === "refreshFailed");
      retryDelays.push((failed[failed.length - 1] as { retryInMs: number }).retryInMs);
      expect(await cache().getToken(credential, request)).toBe(good); // inside the backoff: no new call
      expect(credential.calls).toHaveLength(2 + i);
      vi.setSystemTime(Date.now() + retryDelays[i]!);
    }
    expect(retryDelays).toEqual([1000, 2000, 4000, 4000, 4000]);
    fail = false;
    await cache().getToken(credential, request);
    await vi.advanceTimersByTimeAsync(0);
    expect(await cache().getToken(credential, request)).not.toBe(good);
  });

  it("keeps serving a still-valid token when a blocking refresh fails", async () => {
    let fail = false;
    const credential = fakeCredential(() => {
      if (fail) throw new Error("down");
      return { token: fakeJwt({}), expiresOnTimestamp: Date.now() + 60 * minute };
    });
    const good = await cache().getToken(credential, { scopes });
    fail = true;
    vi.setSystemTime(good.expiresOnTimestamp - 5_000);
    expect(await cache().getToken(credential, { scopes })).toBe(good);
  });

  it("without a valid token callers get the typed error with its cause; later callers get it at once until the next attempt is due", async () => {
    const original = new Error("ManagedIdentityCredential: 500");
    let fail = true;
    const credential = fakeCredential(() => {
      if (fail) throw original;
      return { token: fakeJwt({}), expiresOnTimestamp: Date.now() + 60 * minute };
    });
    const results = await Promise.allSettled([
      cache().getToken(credential, { scopes }),
      cache().getToken(credential, { scopes }),
    ]);
    expect(credential.calls).toHaveLength(1);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason as EntraAuthError;
      expect(error.code).toBe("TOKEN_ACQUISITION_FAILED");
      expect(error.cause).toMatchObject({ name: "Error", message: original.message }); // a redacted copy
    }
    fail = false;
    // Inside the backoff step (retryInitialMs, 1 s): the same error at once, no new credential call.
    vi.setSystemTime(Date.now() + 999);
    await expect(cache().getToken(credential, { scopes })).rejects.toBe((results[0] as PromiseRejectedResult).reason);
    expect(credential.calls).toHaveLength(1);
    vi.setSystemTime(Date.now() + 1);
    await expect(cache().getToken(credential, { scopes })).resolves.toMatchObject({ token: expect.any(String) });
    expect(credential.calls).toHaveLength(2);
  });

  it("fails a hanging credential call after timeoutMs and aborts it", async () => {
    const { credential, pending } = deferredCredential();
    const result = cache()
      .getToken(credential, { scopes, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(4999);
    expect(pending[0]!.signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = (await result) as EntraAuthError;
    expect(error.code).toBe("TOKEN_ACQUISITION_TIMEOUT");
    expect(error.message).toMatch(/within 5000 ms.*timeoutMs/);
    expect(pending[0]!.signal?.aborted).toBe(true);
    // The next attempt is due retryInitialMs (1 s) after the failure; until then callers get the error at once.
    await expect(cache().getToken(credential, { scopes })).rejects.toBe(error);
    expect(credential.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    void cache()
      .getToken(credential, { scopes })
      .catch(() => undefined);
    expect(credential.calls).toBe(2);
  });

  it("honours a caller's abort signal without failing the other callers", async () => {
    const { credential, pending } = deferredCredential();
    const controller = new AbortController();
    const aborted = cache()
      .getToken(credential, { scopes, abortSignal: controller.signal })
      .catch((e: unknown) => e);
    const other = cache().getToken(credential, { scopes });
    controller.abort(new Error("request cancelled"));
    expect(await aborted).toMatchObject({ code: "ABORTED" });
    pending[0]!.resolve({ token: fakeJwt({}), expiresOnTimestamp: Date.now() + 60 * minute });
    await expect(other).resolves.toMatchObject({ token: expect.any(String) });
    await expect(cache().getToken(credential, { scopes, abortSignal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("cache: false asks the credential every time", async () => {
    const credential = controlledCredential();
    await cache().getToken(credential, { scopes, cache: false });
    await cache().getToken(credential, { scopes, cache: false });
    await Promise.all([
      cache().getToken(credential, { scopes, cache: false }),
      cache().getToken(credential, { scopes, cache: false }),
    ]);
    expect(credential.calls).toHaveLength(4);
  });

  it("never mixes credentials, scopes or tenants", async () => {
    const a = controlledCredential();
    const b = controlledCredential();
    const ta = await cache().getToken(a, { scopes });
    const tb = await cache().getToken(b, { scopes });
    expect(ta.token).not.toBe(tb.token);
    await cache().getToken(a, { scopes: ["other/.default"] });
    await cache().getToken(a, { scopes, tenantId: "t2" });
    await cache().getToken(a, { scopes });
    expect(a.calls).toHaveLength(3);
    expect(b.calls).toHaveLength(1);
  });

  it("keeps at most 32 entries per credential", async () => {
    const credential = controlledCredential();
    for (let i = 0; i < 40; i++) await cache().getToken(credential, { scopes: [`scope-${i}/.default`] });
    await cache().getToken(credential, { scopes: ["scope-39/.default"] }); // recent: kept
    expect(credential.calls).toHaveLength(40);
    await cache().getToken(credential, { scopes: ["scope-0/.default"] }); // oldest: evicted
    expect(credential.calls).toHaveLength(41);
  });

  it("scales the windows to short-lived tokens", async () => {
    const credential = controlledCredential(8_000);
    const first = await cache().getToken(credential, { scopes });
    vi.setSystemTime(Date.now() + 3_000); // before half the lifetime: hit
    expect(await cache().getToken(credential, { scopes })).toBe(first);
    vi.setSystemTime(Date.now() + 2_000); // 5 s in: background refresh, old token still served
    expect(await cache().getToken(credential, { scopes })).toBe(first);
    await vi.advanceTimersByTimeAsync(0);
    expect(credential.calls).toHaveLength(2);
    const second = await cache().getToken(credential, { scopes });
    expect(second).not.toBe(first);
    expect(second.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  it("events never carry the token", async () => {
    const credential = controlledCredential(60_000);
    const events: EntraTokenEvent[] = [];
    const token = await cache().getToken(credential, { scopes, onTokenEvent: (e) => events.push(e) });
    await cache().getToken(credential, { scopes, onTokenEvent: (e) => events.push(e) });
    expect(events.map((e) => e.type)).toEqual(["credentialCall", "cacheHit"]);
    expect(JSON.stringify(events)).not.toContain(token.token);
  });

  it("an outage in the last quarter of the token's life: the valid token served, one credential call per retryInitialMs step", async () => {
    let fail = false;
    const credential = fakeCredential(() => {
      if (fail) throw new Error("endpoint down");
      return { token: fakeJwt({}), expiresOnTimestamp: Date.now() + 60 * minute };
    });
    const good = await cache().getToken(credential, { scopes });
    fail = true;
    vi.setSystemTime(good.expiresOnTimestamp - 29_000); // inside the 30 s margin: callers would wait
    // 29 s of connections every 100 ms; the token is about to be unusable, so attempts come every 1 s (not doubling).
    for (let t = 0; t < 28_900; t += 100) {
      expect(await cache().getToken(credential, { scopes })).toBe(good);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(credential.calls.length - 1).toBeLessThanOrEqual(29);
    expect(credential.calls.length - 1).toBeGreaterThanOrEqual(28);
  });

  it("an onTokenEvent callback that throws never fails a request and is warned about once", async () => {
    const credential = controlledCredential();
    const warnings = captureLog("warning");
    try {
      const onTokenEvent = () => {
        throw new Error("telemetry broke");
      };
      const asyncThrower = async () => {
        throw new Error("async telemetry broke");
      };
      const first = await cache().getToken(credential, { scopes, onTokenEvent });
      expect(await cache().getToken(credential, { scopes, onTokenEvent })).toBe(first);
      expect(await cache().getToken(credential, { scopes, onTokenEvent: asyncThrower })).toBe(first);
      await vi.advanceTimersByTimeAsync(0);
      expect(warnings.lines.filter((l) => l.includes("onTokenEvent callback threw"))).toHaveLength(2); // once per callback
      expect(warnings.lines.join("\n")).toMatch(/telemetry broke.*once per callback/);
    } finally {
      warnings.restore();
    }
  });

  it("retries a shared request answered 429 (honouring Retry-After) as one attempt: every caller gets the token", async () => {
    const credential = throttledOnce(2);
    const events: EntraTokenEvent[] = [];
    const callers = Array.from({ length: 200 }, () =>
      cache().getToken(credential, { scopes, onTokenEvent: (e) => events.push(e) }),
    );
    await vi.advanceTimersByTimeAsync(1_999);
    expect(credential.calls).toHaveLength(1); // waits the 2 s the endpoint asked for
    await vi.advanceTimersByTimeAsync(1);
    const tokens = await Promise.all(callers);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(credential.calls).toHaveLength(2);
    expect(events.filter((e) => e.type === "refreshFailed")).toHaveLength(0);
  });

  it("a Retry-After too long for the budget is not waited for inside the attempt, and no attempt starts before it", async () => {
    const credential = throttledOnce(10);
    const events: EntraTokenEvent[] = [];
    const first = await cache()
      .getToken(credential, { scopes, onTokenEvent: (e) => events.push(e) })
      .then(
        () => undefined,
        (error: EntraAuthError) => ({ error }),
      );
    expect(first?.error?.cause).toMatchObject({ statusCode: 429 });
    expect(events.find((e) => e.type === "refreshFailed")).toMatchObject({ retryInMs: 10_000 });
    vi.setSystemTime(Date.now() + 9_999);
    await expect(cache().getToken(credential, { scopes })).rejects.toBe(first?.error);
    vi.setSystemTime(Date.now() + 1);
    await expect(cache().getToken(credential, { scopes })).resolves.toMatchObject({ token: expect.any(String) });
    expect(credential.calls).toHaveLength(2);
  });

  it.each([
    ["HTTP 503", { statusCode: 503 }],
    ["a reset connection", { code: "ECONNRESET" }],
    [
      "a 429 deep in the cause chain (DefaultAzureCredential)",
      { cause: { statusCode: 429, message: "throttled", stack: "" } },
    ],
  ])("retries %s with jittered backoff within the 3 s budget", async (_what, shape) => {
    let n = 0;
    const credential = fakeCredential(() => {
      n += 1;
      if (n <= 2) throw Object.assign(new Error("transient"), shape);
      return { token: fakeJwt({ n }), expiresOnTimestamp: Date.now() + 60 * minute };
    });
    const result = cache().getToken(credential, { scopes });
    await vi.advanceTimersByTimeAsync(3_000); // 0.5–1 s, then 1–2 s
    await expect(result).resolves.toMatchObject({ token: expect.any(String) });
    expect(credential.calls).toHaveLength(3);
  });

  it("does not retry a failure that is not transient, nor past timeoutMs", async () => {
    const notTransient = fakeCredential(() => {
      throw Object.assign(new Error("AADSTS700016"), { statusCode: 400 });
    });
    await expect(cache().getToken(notTransient, { scopes })).rejects.toMatchObject({
      code: "TOKEN_ACQUISITION_FAILED",
    });
    expect(notTransient.calls).toHaveLength(1);
    const throttled = fakeCredential(() => {
      throw Object.assign(new Error("Too many requests"), { statusCode: 429, retryAfterInMs: 10_000 });
    });
    const failure = cache()
      .getToken(throttled, { scopes, timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(await failure).toMatchObject({ code: "TOKEN_ACQUISITION_FAILED", cause: { statusCode: 429 } }); // the wait would pass the deadline
    expect(throttled.calls).toHaveLength(1);
  });

  it("logs a failure once, saying truthfully whether a cached token is still served", async () => {
    let fail = true;
    const credential = fakeCredential(() => {
      if (fail) throw new Error("endpoint down.");
      return { token: fakeJwt({}), expiresOnTimestamp: Date.now() + 60 * minute };
    });
    const warnings = captureLog("warning");
    try {
      await cache()
        .getToken(credential, { scopes })
        .catch(() => undefined);
      expect(warnings.lines).toHaveLength(1);
      expect(warnings.lines[0]).toMatch(/no valid token is cached.*fail at once.*next attempt, in 1000 ms/);
      fail = false;
      vi.setSystemTime(Date.now() + 1000);
      const good = await cache().getToken(credential, { scopes });
      fail = true;
      vi.setSystemTime(good.expiresOnTimestamp - 100_000);
      await cache().getToken(credential, { scopes });
      await vi.advanceTimersByTimeAsync(0);
      expect(warnings.lines).toHaveLength(2);
      expect(warnings.lines[1]).toMatch(/cached token stays in use until/);
      for (const line of warnings.lines) expect(line).not.toMatch(/\.\./);
    } finally {
      warnings.restore();
    }
  });
});

/** Collects what our logger writes at one level (the logger's `log` is replaceable, as @azure/logger documents). */
function captureLog(level: "warning" | "info" | "verbose") {
  const target = logger[level];
  const original = target.log;
  const enabled = target.enabled;
  const lines: string[] = [];
  target.enabled = true;
  target.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  return {
    lines,
    restore: () => {
      target.log = original;
      target.enabled = enabled;
    },
  };
}
