// The credentials the CLI builds leave the retries to the token cache: every one that calls an endpoint
// over HTTP is created with retryOptions: { maxRetries: 0 }, so an outage gives the cache's clear error
// with its cause within its 3 s budget instead of waiting out @azure/identity's own retry schedule.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const created: Array<{ kind: string; options: unknown }> = [];

vi.mock("@azure/identity", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@azure/identity")>();
  /** The real credential class, recording what it was created with. */
  const recording = (kind: string, Real: new (options?: never) => object) =>
    class extends Real {
      constructor(options?: never) {
        // A copy as given: the credentials add their own fields to the options object.
        created.push({ kind, options: structuredClone(options) });
        super(options);
      }
    };
  return {
    ...actual,
    AzureCliCredential: recording("cli", actual.AzureCliCredential),
    AzureDeveloperCliCredential: recording("azd", actual.AzureDeveloperCliCredential),
    DefaultAzureCredential: recording("default", actual.DefaultAzureCredential),
    EnvironmentCredential: recording("environment", actual.EnvironmentCredential),
    ManagedIdentityCredential: recording("managed-identity", actual.ManagedIdentityCredential),
    WorkloadIdentityCredential: recording("workload-identity", actual.WorkloadIdentityCredential),
  };
});

// Unit test files share their worker (vitest.shared.ts): another file may have loaded
// cli-credential.js with the real @azure/identity already, so it is imported fresh here.
vi.resetModules();
const { credentialFrom } = await import("../src/cli-credential.js");

const noRetries = { retryOptions: { maxRetries: 0 } };

beforeEach(() => {
  created.length = 0;
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("credentialFrom", () => {
  it.each(["default", "managed-identity", "environment"])(
    "--credential %s: created with retryOptions.maxRetries 0 (the cache's budget is the only retry schedule)",
    (kind) => {
      credentialFrom({ credential: kind });
      expect(created).toEqual([{ kind, options: expect.objectContaining(noRetries) }]);
    },
  );

  it("--credential default is the default", () => {
    credentialFrom({});
    expect(created).toEqual([{ kind: "default", options: expect.objectContaining(noRetries) }]);
  });

  it("--client-id goes with the option, not instead of it", () => {
    // What a pod with workload identity has (the token file is read at getToken, never here).
    vi.stubEnv("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000000");
    vi.stubEnv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token");
    credentialFrom({ credential: "default", "client-id": "11111111-2222-3333-4444-555555555555" });
    credentialFrom({ credential: "managed-identity", "client-id": "11111111-2222-3333-4444-555555555555" });
    credentialFrom({ credential: "workload-identity", "client-id": "11111111-2222-3333-4444-555555555555" });
    expect(created).toEqual([
      {
        kind: "default",
        options: { ...noRetries, managedIdentityClientId: "11111111-2222-3333-4444-555555555555" },
      },
      { kind: "managed-identity", options: { ...noRetries, clientId: "11111111-2222-3333-4444-555555555555" } },
      { kind: "workload-identity", options: { ...noRetries, clientId: "11111111-2222-3333-4444-555555555555" } },
    ]);
  });

  it("the developer tools' credentials run a process, with no HTTP retries to turn off", () => {
    credentialFrom({ credential: "cli" });
    credentialFrom({ credential: "azd" });
    expect(created.map((c) => c.kind)).toEqual(["cli", "azd"]);
  });

  it("an unknown kind is a usage error", () => {
    expect(() => credentialFrom({ credential: "nope" })).toThrow(/--credential must be/);
  });
});
