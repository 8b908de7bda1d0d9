// A fresh EntraTokenCache for every test, on a fake clock; shared by the token cache tests.
import type { AccessToken } from "@azure/core-auth";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support";
import { afterEach, beforeEach, vi } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";

/** Registers the hooks; call the returned function inside a test for that test's cache. */
export function useFakeClockCache(): () => EntraTokenCache {
  let cache: EntraTokenCache | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-29T12:00:00Z") });
    cache = new EntraTokenCache();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  return () => {
    if (cache === undefined) throw new Error("useFakeClockCache: only inside a test");
    return cache;
  };
}

/** A credential whose first call is answered 429 with `Retry-After: retryAfterSeconds`, then tokens valid for an hour. */
export function throttledOnce(retryAfterSeconds: number) {
  let n = 0;
  return fakeCredential((): AccessToken => {
    n += 1;
    if (n === 1)
      throw Object.assign(new Error("Too many requests"), {
        statusCode: 429,
        response: { headers: { "retry-after": String(retryAfterSeconds) } },
      });
    return { token: fakeJwt({ n }), expiresOnTimestamp: Date.now() + 3_600_000 };
  });
}
