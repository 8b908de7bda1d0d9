import type { AccessToken } from "@azure/core-auth";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { metrics } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";
import { recordingMeterProvider } from "./recording-telemetry.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];

afterEach(() => metrics.disable());

describe("token metrics", () => {
  it("counts a cold credential call, its duration and the cache hits after it", async () => {
    const { provider, measurements } = recordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const cache = new EntraTokenCache();
    const credential = fakeCredential(() => ({
      token: fakeJwt({ upn: "alice@contoso.com" }),
      expiresOnTimestamp: Date.now() + 3_600_000,
    }));
    const first = await cache.getToken(credential, { scopes });
    await cache.getToken(credential, { scopes });
    await cache.getToken(credential, { scopes });
    expect(measurements.filter((m) => m.name === "azure.postgresql_auth.token.requests")).toEqual([
      { name: "azure.postgresql_auth.token.requests", value: 1, attributes: { outcome: "success", reason: "cold" } },
    ]);
    const durations = measurements.filter((m) => m.name === "azure.postgresql_auth.token.duration");
    expect(durations).toHaveLength(1);
    expect(durations[0]?.value).toBeGreaterThanOrEqual(0);
    expect(durations[0]?.value).toBeLessThan(60);
    expect(measurements.filter((m) => m.name === "azure.postgresql_auth.token.cache_hits")).toHaveLength(2);
    expect(JSON.stringify(measurements)).not.toContain((first as AccessToken).token);
  });

  it("counts a failed credential call as a request and a refresh failure", async () => {
    const { provider, measurements } = recordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const cache = new EntraTokenCache();
    const credential = {
      getToken: () => Promise.reject(Object.assign(new Error("denied"), { name: "CredentialUnavailableError" })),
    };
    await expect(cache.getToken(credential, { scopes })).rejects.toThrow();
    expect(measurements.filter((m) => m.name !== "azure.postgresql_auth.token.duration")).toEqual([
      { name: "azure.postgresql_auth.token.requests", value: 1, attributes: { outcome: "failure", reason: "cold" } },
      { name: "azure.postgresql_auth.token.refresh_failures", value: 1, attributes: { reason: "cold" } },
    ]);
  });
});
