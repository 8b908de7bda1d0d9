import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { metrics } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";
import { recordingMeterProvider } from "./recording-telemetry.js";

// Scopes no other test uses: the gauge reports every live cache in the process, and unit test files
// share their worker (vitest.shared.ts), so another file's caches may still be alive here.
const publicScope = "https://ossrdbms-aad.database.windows.net/gauge-test-public/.default";
const chinaScope = "https://ossrdbms-aad.database.chinacloudapi.cn/gauge-test-china/.default";
const gauge = "azure.postgresql_auth.token.time_to_expiry";

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-11-29T12:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
  metrics.disable();
});

describe("token time-to-expiry gauge", () => {
  it("reports the seconds left on each cached token, per scope, as the clock moves; never the token", async () => {
    const { provider, collect } = recordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const cache = new EntraTokenCache();
    const credential = fakeCredential(() => ({
      token: fakeJwt({ upn: "alice@contoso.com" }),
      expiresOnTimestamp: Date.now() + 3_600_000,
    }));
    const token = await cache.getToken(credential, { scopes: [publicScope] });
    vi.setSystemTime(Date.now() + 600_000);
    await cache.getToken(credential, { scopes: [chinaScope] });
    vi.setSystemTime(Date.now() + 60_000);
    const observed = collect(gauge).filter(
      (o) => o.attributes?.scope === publicScope || o.attributes?.scope === chinaScope,
    );
    expect(observed).toEqual([
      { value: 2_940, attributes: { scope: publicScope } },
      { value: 3_540, attributes: { scope: chinaScope } },
    ]);
    expect(JSON.stringify(collect(gauge))).not.toContain(token.token);
  });

  it("reports nothing for an entry whose credential has not answered with a token", async () => {
    const { provider, collect } = recordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const cache = new EntraTokenCache();
    const scope = "https://ossrdbms-aad.database.usgovcloudapi.net/gauge-test-unanswered/.default";
    const credential = { getToken: () => Promise.reject(new Error("denied")) };
    await expect(cache.getToken(credential, { scopes: [scope] })).rejects.toThrow();
    expect(collect(gauge).filter((o) => o.attributes?.scope === scope)).toEqual([]);
  });
});
