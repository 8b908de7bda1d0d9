// invalidate(): the server refused a token as expired (this machine's clock is behind the
// server's). The token is dropped, and the cache learns the skew for the tokens that follow.
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support";
import { describe, expect, it, vi } from "vitest";
import { createEntraTokenSource } from "../src/index.js";
import { logger } from "../src/internal.js";
import { useFakeClockCache } from "./use-fake-clock-cache.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];
const minute = 60_000;

function hourTokens() {
  let n = 0;
  return fakeCredential(() => {
    n += 1;
    return { token: fakeJwt({ n }), expiresOnTimestamp: Date.now() + 60 * minute };
  });
}

const cache = useFakeClockCache();

describe("EntraTokenCache.invalidate (expired-token refusals, clock skew)", () => {
  it("drops the token: the next request fetches a fresh one", async () => {
    const credential = hourTokens();
    const first = await cache().getToken(credential, { scopes });
    expect(cache().invalidate(credential, { scopes }, first.token)).toBe(true);
    const second = await cache().getToken(credential, { scopes });
    expect(second.token).not.toBe(first.token);
    expect(credential.calls).toHaveLength(2);
  });

  it("a refusal of a token that was already replaced changes nothing (concurrent refusals cost one fetch)", async () => {
    const credential = hourTokens();
    const first = await cache().getToken(credential, { scopes });
    cache().invalidate(credential, { scopes }, first.token);
    const second = await cache().getToken(credential, { scopes });
    expect(cache().invalidate(credential, { scopes }, first.token)).toBe(false);
    expect(await cache().getToken(credential, { scopes })).toBe(second);
    expect(credential.calls).toHaveLength(2);
  });

  it("learns the skew: later tokens are treated as expiring that much earlier, and refreshed before the server refuses them", async () => {
    const credential = hourTokens();
    const first = await cache().getToken(credential, { scopes });
    vi.setSystemTime(first.expiresOnTimestamp - 5 * minute); // the server says expired: it is >= 5 min ahead
    cache().invalidate(credential, { scopes }, first.token);
    const second = await cache().getToken(credential, { scopes });
    expect(second.expiresOnTimestamp).toBe(Date.now() + 55 * minute);
    // The refresh point follows the moved expiry: 2 minutes before it, in the background.
    vi.setSystemTime(second.expiresOnTimestamp - 2 * minute + 1);
    expect(await cache().getToken(credential, { scopes })).toBe(second);
    await vi.advanceTimersByTimeAsync(0);
    const third = await cache().getToken(credential, { scopes });
    expect(third).not.toBe(second);
    expect(third.expiresOnTimestamp).toBe(Date.now() + 55 * minute);
  });

  it("keeps the largest skew seen, and never moves a token's expiry by more than three quarters of its lifetime", async () => {
    const credential = hourTokens();
    await cache().getToken(credential, { scopes });
    cache().invalidate(credential, { scopes }); // right after the fetch: a whole hour "ahead"
    const second = await cache().getToken(credential, { scopes });
    expect(second.expiresOnTimestamp).toBe(Date.now() + 15 * minute);
    vi.setSystemTime(second.expiresOnTimestamp - minute); // a smaller estimate than the first
    cache().invalidate(credential, { scopes }, second.token);
    const third = await cache().getToken(credential, { scopes });
    expect(third.expiresOnTimestamp).toBe(Date.now() + 15 * minute);
  });

  it("warns once per larger skew, naming the fix, and never logs the token", async () => {
    const credential = hourTokens();
    const lines: string[] = [];
    const original = logger.warning.log;
    const enabled = logger.warning.enabled;
    logger.warning.enabled = true;
    logger.warning.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    try {
      const first = await cache().getToken(credential, { scopes });
      vi.setSystemTime(first.expiresOnTimestamp - 90_000);
      cache().invalidate(credential, { scopes }, first.token);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/behind the server's by at least 90 s.*NTP/);
      expect(lines[0]).not.toContain(first.token);
    } finally {
      logger.warning.log = original;
      logger.warning.enabled = enabled;
    }
  });
});

describe("EntraTokenSource.invalidate", () => {
  it("drops the source's cached token for every host it served", async () => {
    const credential = hourTokens();
    const source = createEntraTokenSource(credential);
    const first = await source.getAccessToken({ host: "db.postgres.database.azure.com" });
    expect((await source.getAccessToken({ host: "db.postgres.database.azure.com" })).token).toBe(first.token);
    source.invalidate(first.token);
    const second = await source.getAccessToken({ host: "db.postgres.database.azure.com" });
    expect(second.token).not.toBe(first.token);
    source.invalidate("a token that is no longer cached");
    expect((await source.getAccessToken({ host: "db.postgres.database.azure.com" })).token).toBe(second.token);
    expect(credential.calls).toHaveLength(2);
  });

  it("does nothing with cache: false", async () => {
    const credential = hourTokens();
    const source = createEntraTokenSource(credential, { cache: false });
    await source.getAccessToken();
    expect(() => source.invalidate()).not.toThrow();
    await source.getAccessToken();
    expect(credential.calls).toHaveLength(2);
  });
});
