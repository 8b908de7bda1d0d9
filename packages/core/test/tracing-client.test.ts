import { useInstrumenter } from "@azure/core-tracing";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";
import { recordingInstrumenter } from "./recording-telemetry.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];

describe("token cache spans", () => {
  it("one span per credential call (not per cache hit), with its attributes, and the context passed to the credential", async () => {
    const { instrumenter, spans } = recordingInstrumenter();
    useInstrumenter(instrumenter);
    const credential = fakeCredential(() => ({
      token: fakeJwt({ upn: "alice@contoso.com" }),
      expiresOnTimestamp: Date.now() + 3_600_000,
    }));
    const cache = new EntraTokenCache();
    const token = await cache.getToken(credential, { scopes });
    await cache.getToken(credential, { scopes });
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: "EntraTokenCache.getToken",
      ended: true,
      attributes: {
        "azure.postgresql_auth.scope": scopes[0],
        "azure.postgresql_auth.cloud": "AzurePublicCloud",
        "azure.postgresql_auth.reason": "cold",
        "azure.postgresql_auth.outcome": "success",
      },
    });
    expect(spans[0]?.attributes["azure.postgresql_auth.duration_ms"]).toEqual(expect.any(Number));
    const options = credential.calls[0]?.options as { tracingOptions?: { tracingContext?: unknown } } | undefined;
    expect(options?.tracingOptions?.tracingContext).toBeDefined();
    expect(JSON.stringify(spans)).not.toContain(token.token);
  });

  it("a failed credential call ends its span with an error status and error.type", async () => {
    const { instrumenter, spans } = recordingInstrumenter();
    useInstrumenter(instrumenter);
    const cache = new EntraTokenCache();
    const credential = { getToken: () => Promise.reject(new Error("denied")) };
    await expect(cache.getToken(credential, { scopes })).rejects.toThrow();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      status: "error",
      ended: true,
      attributes: { "azure.postgresql_auth.outcome": "failure", "error.type": "TOKEN_ACQUISITION_FAILED" },
    });
  });
});
