import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createExpirationChecker } from "../src/index.js";

describe("createExpirationChecker", () => {
  const start = new Date("2026-01-01T00:00:00Z").getTime();
  beforeEach(() => {
    vi.useFakeTimers({ now: start });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    // token lifetime left, time at which it reads as expired (30 s before expiry, or a quarter of what is left)
    { left: 60 * 60_000, expiredAt: 60 * 60_000 - 30_000 },
    { left: 2 * 60_000, expiredAt: 2 * 60_000 - 30_000 },
    { left: 40_000, expiredAt: 30_000 },
    { left: 8_000, expiredAt: 6_000 },
  ])("a token with $left ms left reads as expired from $expiredAt ms", ({ left, expiredAt }) => {
    const expired = createExpirationChecker(start + left);
    expect(expired()).toBe(false);
    vi.setSystemTime(start + expiredAt - 1);
    expect(expired()).toBe(false);
    vi.setSystemTime(start + expiredAt);
    expect(expired()).toBe(true);
  });

  it("a token already past its expiry reads as expired", () => {
    expect(createExpirationChecker(start - 1)()).toBe(true);
  });
});
