import { useInstrumenter } from "@azure/core-tracing";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { metrics } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";
import { recordingInstrumenter, recordingMeterProvider } from "./recording-telemetry.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];
const hourMs = 3_600_000;

/** Tokens valid for an hour from the (fake) clock, numbered. */
function hourlyCredential() {
  let n = 0;
  return fakeCredential(() => {
    n += 1;
    return { token: fakeJwt({ n }), expiresOnTimestamp: Date.now() + hourMs };
  });
}

function setUp() {
  const { instrumenter, spans } = recordingInstrumenter();
  useInstrumenter(instrumenter);
  const { provider, measurements } = recordingMeterProvider();
  metrics.setGlobalMeterProvider(provider);
  const requests = () =>
    measurements.filter((m) => m.name === "azure.postgresql_auth.token.requests").map((m) => m.attributes);
  return { spans, requests };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-11-29T12:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
  metrics.disable();
});

describe("telemetry of a token refresh", () => {
  it("a refresh in the last 30 s before expiry is a must-refresh on its span and the requests counter", async () => {
    const { spans, requests } = setUp();
    const cache = new EntraTokenCache();
    const credential = hourlyCredential();
    const first = await cache.getToken(credential, { scopes });
    vi.setSystemTime(Date.now() + hourMs - 20_000);
    const second = await cache.getToken(credential, { scopes });
    expect(second.token).not.toBe(first.token);
    expect(spans.map((s) => [s.attributes["azure.postgresql_auth.reason"], s.ended])).toEqual([
      ["cold", true],
      ["must-refresh", true],
    ]);
    expect(spans[1]?.attributes["azure.postgresql_auth.outcome"]).toBe("success");
    expect(requests()).toEqual([
      { outcome: "success", reason: "cold" },
      { outcome: "success", reason: "must-refresh" },
    ]);
  });

  it("a background refresh in the 2 minutes before expiry is a refresh-ahead, and the cached token is handed out meanwhile", async () => {
    const { spans, requests } = setUp();
    const cache = new EntraTokenCache();
    const credential = hourlyCredential();
    const first = await cache.getToken(credential, { scopes });
    vi.setSystemTime(Date.now() + hourMs - 60_000);
    expect((await cache.getToken(credential, { scopes })).token).toBe(first.token);
    await vi.waitFor(() => expect(spans.filter((s) => s.ended)).toHaveLength(2), { timeout: 10_000 });
    expect(spans[1]?.attributes).toMatchObject({
      "azure.postgresql_auth.reason": "refresh-ahead",
      "azure.postgresql_auth.outcome": "success",
    });
    expect(requests()).toEqual([
      { outcome: "success", reason: "cold" },
      { outcome: "success", reason: "refresh-ahead" },
    ]);
    expect((await cache.getToken(credential, { scopes })).token).not.toBe(first.token);
  });
});
