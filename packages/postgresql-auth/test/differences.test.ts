// Each entry of the README's "Differences from 1.0.0-beta.1" that can be seen without a
// connection: Microsoft's published 1.0.0-beta.1 (the ms-postgresql-auth devDependency) and this
// package side by side, on the same input.
import type { AccessToken } from "@azure/postgresql-auth-core";
import { alice, fakeCredential, fakeJwt, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import * as microsoft from "ms-postgresql-auth";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as ours from "../src/index.js";

const azureHost = "db.postgres.database.azure.com";
const publicScope = "https://ossrdbms-aad.database.windows.net/.default";
const usGovScope = "https://ossrdbms-aad.database.usgovcloudapi.net/.default";

type Config = Record<string, unknown> & { dialectOptions?: Record<string, unknown> };
type Listener = (config: Config) => Promise<void>;

/** A Sequelize-like hook target: what both packages register on, and the listener they registered. */
function hookTarget() {
  const listeners: Listener[] = [];
  return { listeners, target: { beforeConnect: (listener: Listener) => void listeners.push(listener) } };
}

/** Runs Microsoft's and our Sequelize hook on copies of one config. */
async function bothSequelizeHooks(credential: ReturnType<typeof fakeCredential>, config: Config) {
  const theirs = hookTarget();
  const mine = hookTarget();
  microsoft.configureEntraAuthentication(theirs.target as never, credential);
  ours.configureEntraAuthentication(mine.target, credential);
  const theirConfig = structuredClone(config);
  const ourConfig = structuredClone(config);
  await theirs.listeners[0]!(theirConfig);
  await mine.listeners[0]!(ourConfig);
  return { theirConfig, ourConfig };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe("Differences from 1.0.0-beta.1", () => {
  it("pg: no token without TLS (INSECURE_CONNECTION, naming the fix); 1.0.0-beta.1 sent it", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const plaintext = { host: azureHost, port: 5432, ssl: false };
    await expect(microsoft.entraTokenProvider(credential)()).resolves.toMatch(/^eyJ/);
    const callsBefore = credential.calls.length;
    const refusal = ours.entraTokenProvider(credential)(plaintext);
    await expect(refusal).rejects.toBeInstanceOf(ours.EntraAuthError);
    await expect(refusal).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringContaining("{ rejectUnauthorized: true }"),
    });
    expect(credential.calls).toHaveLength(callsBefore); // refused before any token is fetched
    await expect(
      ours.entraTokenProvider(credential)({ ...plaintext, ssl: { rejectUnauthorized: true } }),
    ).resolves.toMatch(/^eyJ/);
  });

  it("pg: TLS without certificate checks is refused too, unless allowUnverifiedTls", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const unverified = { host: azureHost, port: 5432, ssl: { rejectUnauthorized: false } };
    await expect(ours.entraTokenProvider(credential)(unverified)).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
    });
    await expect(ours.entraTokenProvider(credential, { allowUnverifiedTls: true })(unverified)).resolves.toMatch(
      /^eyJ/,
    );
  });

  it("Sequelize: a connection without dialectOptions.ssl gets verified TLS; 1.0.0-beta.1 left none", async () => {
    vi.stubEnv("PGSSLMODE", undefined);
    vi.stubEnv("PGSSLROOTCERT", undefined);
    const credential = fakeCredential(() => tokenFor(alice));
    const { theirConfig, ourConfig } = await bothSequelizeHooks(credential, { host: azureHost, dialectOptions: {} });
    expect(theirConfig.dialectOptions).toEqual({});
    expect(ourConfig.dialectOptions).toEqual({ ssl: { rejectUnauthorized: true } });
  });

  it("Sequelize: dialectOptions.ssl false is refused (INSECURE_CONNECTION); 1.0.0-beta.1 sent the token", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const theirs = hookTarget();
    microsoft.configureEntraAuthentication(theirs.target as never, credential);
    const theirConfig: Config = { host: azureHost, dialectOptions: { ssl: false } };
    await theirs.listeners[0]!(theirConfig);
    expect(theirConfig.password).toMatch(/^eyJ/);
    const mine = hookTarget();
    ours.configureEntraAuthentication(mine.target, credential);
    const ourConfig: Config = { host: azureHost, dialectOptions: { ssl: false } };
    await expect(mine.listeners[0]!(ourConfig)).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
    expect(ourConfig.password).toBeUndefined();
  });

  it("allowInsecureLoopback lets a token go without TLS to this machine only", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const local = { host: "127.0.0.1", port: 5432, ssl: false };
    await expect(ours.entraTokenProvider(credential)(local)).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringContaining("allowInsecureLoopback"),
    });
    const loopbackAllowed = ours.entraTokenProvider(credential, { allowInsecureLoopback: true });
    await expect(loopbackAllowed(local)).resolves.toMatch(/^eyJ/);
    await expect(loopbackAllowed({ ...local, host: azureHost })).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
    });
  });

  it("an empty PGSSLMODE means unset: Sequelize gets verify-full, not an invalid-mode error", async () => {
    vi.stubEnv("PGSSLMODE", "");
    vi.stubEnv("PGSSLROOTCERT", undefined);
    const credential = fakeCredential(() => tokenFor(alice));
    const mine = hookTarget();
    ours.configureEntraAuthentication(mine.target, credential);
    const config: Config = { host: azureHost, dialectOptions: {} };
    await mine.listeners[0]!(config);
    expect(config.dialectOptions).toEqual({ ssl: { rejectUnauthorized: true } });
  });

  it("a credential that does not answer fails after 30 s with TOKEN_ACQUISITION_TIMEOUT; 1.0.0-beta.1 waits for ever", async () => {
    vi.useFakeTimers();
    const credential = fakeCredential(() => new Promise<AccessToken | null>(() => {}));
    let theirsSettled = false;
    microsoft
      .entraTokenProvider(credential)()
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        theirsSettled = true;
      });
    const settled: { error?: unknown } = {};
    const mine = ours
      .entraTokenProvider(credential)()
      .catch((error: unknown) => {
        settled.error = error;
      });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(settled.error).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    await mine;
    expect(settled.error).toMatchObject({ code: "TOKEN_ACQUISITION_TIMEOUT" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(theirsSettled).toBe(false);
  });

  it("an empty token is INVALID_TOKEN; 1.0.0-beta.1 threw a plain Error", async () => {
    const credential = fakeCredential(() => ({ token: "", expiresOnTimestamp: Date.now() + 3_600_000 }));
    const theirs = await microsoft
      .entraTokenProvider(credential)()
      .catch((error: unknown) => error);
    expect(theirs).toBeInstanceOf(Error);
    expect(theirs).not.toHaveProperty("code");
    await expect(ours.entraTokenProvider(credential)()).rejects.toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("an expired token is TOKEN_EXPIRED; 1.0.0-beta.1 returned it", async () => {
    const expired = () => {
      const exp = Math.floor(Date.now() / 1000) - 60;
      return { token: fakeJwt({ ...alice, exp }), expiresOnTimestamp: exp * 1000 };
    };
    const credential = fakeCredential(expired);
    await expect(microsoft.entraTokenProvider(credential)()).resolves.toMatch(/^eyJ/);
    await expect(ours.entraTokenProvider(credential)()).rejects.toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("a credential's error is the redacted cause of an exported EntraAuthError; 1.0.0-beta.1 rethrew it", async () => {
    const original = Object.assign(new Error("no managed identity endpoint"), { name: "CredentialUnavailableError" });
    const credential = fakeCredential(() => {
      throw original;
    });
    await expect(microsoft.entraTokenProvider(credential)()).rejects.toBe(original);
    const error = await ours
      .entraTokenProvider(credential)()
      .catch((thrown: unknown) => thrown);
    expect(ours.EntraAuthError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(ours.EntraAuthError);
    expect(error).toMatchObject({ code: "TOKEN_ACQUISITION_FAILED", cause: { name: "CredentialUnavailableError" } });
    expect((error as Error).cause).not.toBe(original);
  });

  it("a missing credential is CREDENTIAL_REQUIRED; 1.0.0-beta.1 threw a plain Error", () => {
    expect(() => microsoft.entraTokenProvider(undefined as never)).toThrow(/credential is required/);
    expect(() => microsoft.entraTokenProvider(undefined as never)).not.toThrow(ours.EntraAuthError);
    for (const create of [
      () => ours.entraTokenProvider(undefined as never),
      () => ours.configureEntraAuthentication(hookTarget().target, undefined as never),
    ]) {
      expect(create).toThrow(ours.EntraAuthError);
      try {
        create();
      } catch (error) {
        expect(error).toMatchObject({ code: "CREDENTIAL_REQUIRED" });
      }
    }
  });

  it("pg: the scope follows the server's cloud; 1.0.0-beta.1 always asked for the public cloud's", async () => {
    const theirCredential = fakeCredential(() => tokenFor(alice));
    const ourCredential = fakeCredential(() => tokenFor(alice));
    const usGov = { host: "db.postgres.database.usgovcloudapi.net", port: 5432, ssl: { rejectUnauthorized: true } };
    await microsoft.entraTokenProvider(theirCredential)();
    await ours.entraTokenProvider(ourCredential)(usGov);
    expect(theirCredential.calls.map((call) => call.scopes)).toEqual([publicScope]);
    expect(ourCredential.calls.map((call) => call.scopes)).toEqual([[usGovScope]]);
  });

  it("Sequelize: the scope option is honoured; 1.0.0-beta.1 ignored it", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const mine = hookTarget();
    ours.configureEntraAuthentication(mine.target, credential, { scope: "api://custom/.default" });
    await mine.listeners[0]!({ host: azureHost, dialectOptions: { ssl: { rejectUnauthorized: true } } });
    expect(credential.calls.map((call) => call.scopes)).toEqual([["api://custom/.default"]]);
  });

  it("tokens are cached: two new connections, one credential call; 1.0.0-beta.1 made two", async () => {
    const theirCredential = fakeCredential(() => tokenFor(alice));
    const ourCredential = fakeCredential(() => tokenFor(alice));
    const theirPassword = microsoft.entraTokenProvider(theirCredential);
    const ourPassword = ours.entraTokenProvider(ourCredential);
    await theirPassword();
    await theirPassword();
    await ourPassword();
    await ourPassword();
    expect(theirCredential.calls).toHaveLength(2);
    expect(ourCredential.calls).toHaveLength(1);
  });

  it("a transient credential failure (HTTP 503) is retried; 1.0.0-beta.1 failed the connection", async () => {
    const flaky = () => {
      let failures = 0;
      return fakeCredential(() => {
        if (failures++ === 0) throw Object.assign(new Error("service unavailable"), { statusCode: 503 });
        return tokenFor(alice);
      });
    };
    await expect(microsoft.entraTokenProvider(flaky())()).rejects.toThrow("service unavailable");
    const ourCredential = flaky();
    await expect(ours.entraTokenProvider(ourCredential)()).resolves.toMatch(/^eyJ/);
    expect(ourCredential.calls).toHaveLength(2);
  });

  it("Sequelize role name: a managed identity's name, not its appid; a configured user name is kept", async () => {
    const identity = {
      appid: "22222222-2222-2222-2222-222222222222",
      xms_mirid:
        "/subscriptions/0/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api-identity",
    };
    const managed = await bothSequelizeHooks(
      fakeCredential(() => tokenFor(identity)),
      { host: azureHost, dialectOptions: { ssl: { rejectUnauthorized: true } } },
    );
    expect(managed.theirConfig.username).toBe(identity.appid);
    expect(managed.ourConfig.username).toBe("orders-api-identity");

    const group = await bothSequelizeHooks(
      fakeCredential(() => tokenFor(alice)),
      { host: azureHost, username: "db-readers", dialectOptions: { ssl: { rejectUnauthorized: true } } },
    );
    expect(group.theirConfig.username).toBe(alice.upn);
    expect(group.ourConfig.username).toBe("db-readers");
  });
});
