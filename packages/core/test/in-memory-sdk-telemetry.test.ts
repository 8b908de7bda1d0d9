import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { type InMemoryTelemetry, startInMemoryTelemetry } from "@azure-postgresql-auth/test-support/telemetry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";
import { packageName } from "../src/package-version.js";

const scope = "https://ossrdbms-aad.database.windows.net/.default";

let telemetry: InMemoryTelemetry;
beforeEach(() => {
  telemetry = startInMemoryTelemetry();
});
afterEach(() => telemetry.stop());

describe("token cache telemetry through a real OpenTelemetry SDK (in memory)", () => {
  it("a cold start: one span and the documented metrics; cache hits counted; no token anywhere", async () => {
    const cache = new EntraTokenCache();
    const credential = fakeCredential(() => ({
      token: fakeJwt({ upn: "alice@contoso.com" }),
      expiresOnTimestamp: Date.now() + 3_600_000,
    }));
    const token = await cache.getToken(credential, { scopes: [scope] });
    await cache.getToken(credential, { scopes: [scope] });
    await cache.getToken(credential, { scopes: [scope] });

    const spans = telemetry.spans();
    expect(spans.map((s) => s.name)).toEqual(["EntraTokenCache.getToken"]);
    expect(spans[0]?.instrumentationScope.name).toBe(packageName);
    expect(spans[0]?.attributes).toMatchObject({
      "az.namespace": "Microsoft.DBforPostgreSQL",
      "azure.postgresql_auth.scope": scope,
      "azure.postgresql_auth.cloud": "AzurePublicCloud",
      "azure.postgresql_auth.reason": "cold",
      "azure.postgresql_auth.outcome": "success",
    });

    const collected = await telemetry.collect();
    const metric = (name: string) => collected.find((m) => m.name === `azure.postgresql_auth.token.${name}`);
    expect(metric("requests")?.points).toEqual([{ attributes: { outcome: "success", reason: "cold" }, value: 1 }]);
    expect(metric("cache_hits")?.points).toEqual([{ attributes: {}, value: 2 }]);
    expect(metric("duration")).toMatchObject({ unit: "s", points: [{ value: { count: 1 } }] });
    const expiry = metric("time_to_expiry")?.points.find((p) => p.attributes.scope === scope);
    expect(expiry?.value).toBeGreaterThan(3_500);
    expect(expiry?.value).toBeLessThanOrEqual(3_600);
    expect(JSON.stringify({ spans: spans.map((s) => s.attributes), collected })).not.toContain(token.token);
  });

  it("a failure: an error span and a refresh failure", async () => {
    const cache = new EntraTokenCache();
    const credential = { getToken: () => Promise.reject(new Error("denied")) };
    await expect(cache.getToken(credential, { scopes: [scope] })).rejects.toThrow();
    const spans = telemetry.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(spans[0]?.attributes["error.type"]).toBe("TOKEN_ACQUISITION_FAILED");
    const collected = await telemetry.collect();
    expect(collected.find((m) => m.name === "azure.postgresql_auth.token.refresh_failures")?.points).toEqual([
      { attributes: { reason: "cold" }, value: 1 },
    ]);
  });
});
