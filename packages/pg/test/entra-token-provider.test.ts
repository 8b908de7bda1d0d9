import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { EntraAuthError, type EntraPasswordFunction, entraTokenProvider, getEntraRoleName } from "../src/index.js";

describe("entraTokenProvider", () => {
  it("resolves to the credential's token, from the cache by default", async () => {
    const accessToken = tokenFor(alice);
    const cached = fakeCredential(() => accessToken);
    const cachedPassword = entraTokenProvider(cached);
    await Promise.all([cachedPassword(), cachedPassword(), cachedPassword()]);
    await expect(cachedPassword()).resolves.toBe(accessToken.token);
    expect(cached.calls).toHaveLength(1);
  });

  it("with cache: false asks the credential on every call", async () => {
    const accessToken = tokenFor(alice);
    const credential = fakeCredential(() => accessToken);
    const password = entraTokenProvider(credential, { cache: false });
    await expect(password()).resolves.toBe(accessToken.token);
    await expect(password()).resolves.toBe(accessToken.token);
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.windows.net/.default"],
      ["https://ossrdbms-aad.database.windows.net/.default"],
    ]);
  });

  it("picks the cloud from the connection parameters pg passes", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const password = entraTokenProvider(credential, { cache: false });
    await password({ host: "db.postgres.database.usgovcloudapi.net", user: "alice@contoso.com" });
    await password({ host: "db.postgres.database.chinacloudapi.cn" });
    await password({ host: "localhost" });
    await entraTokenProvider(credential, { host: "db.postgres.database.chinacloudapi.cn", cache: false })();
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ["https://ossrdbms-aad.database.chinacloudapi.cn/.default"],
      ["https://ossrdbms-aad.database.windows.net/.default"],
      ["https://ossrdbms-aad.database.chinacloudapi.cn/.default"],
    ]);
  });

  it("uses the scope option over the host, as a string or an array", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    await entraTokenProvider(credential, { scope: "api://custom/.default" })({
      host: "db.postgres.database.usgovcloudapi.net",
    });
    await entraTokenProvider(credential, { scope: ["a/.default"], tenantId: "t" })();
    // The tracing context of our span goes with each call, so that @azure/identity's spans nest under it.
    const tracingOptions = { tracingContext: expect.anything() };
    expect(credential.calls).toEqual([
      { scopes: ["api://custom/.default"], options: { abortSignal: expect.any(AbortSignal), tracingOptions } },
      { scopes: ["a/.default"], options: { tenantId: "t", abortSignal: expect.any(AbortSignal), tracingOptions } },
    ]);
  });

  it("fails at the factory call without a credential", () => {
    expect(() => entraTokenProvider(undefined as never)).toThrowError(/credential is required/);
    expect(() => entraTokenProvider({} as never)).toThrowError(/credential is required/);
    expect(() =>
      entraTokenProvider(
        fakeCredential(() => null),
        { scope: [] },
      ),
    ).toThrowError(expect.objectContaining({ code: "INVALID_SCOPE" }));
  });

  it("rejects with a typed error when the credential fails", async () => {
    const original = new Error("AzureCliCredential: Please run 'az login'");
    const password = entraTokenProvider(fakeCredential(() => Promise.reject(original)));
    const error = await password().catch((err: unknown) => err);
    expect(EntraAuthError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "TOKEN_ACQUISITION_FAILED", cause: original });
    expect((error as Error).message).toContain("az login");
    const nullError = await entraTokenProvider(fakeCredential(() => null))().catch((err: unknown) => err);
    expect((nullError as Error).message).toContain("Failed to acquire Entra ID token");
  });

  it("fits pg's password option and Microsoft's () => Promise<string> type", async () => {
    const accessToken = tokenFor(alice);
    const password: EntraPasswordFunction = entraTokenProvider(fakeCredential(() => accessToken));
    const microsoftShape: () => Promise<string> = password;
    const config: pg.PoolConfig = { host: "localhost", password, ssl: { rejectUnauthorized: true } };
    const pool = new pg.Pool(config);
    expect(pool.options.password).toBe(password); // pg keeps the function and calls it per connection
    await expect(microsoftShape()).resolves.toBe(accessToken.token);
    await pool.end();
  });

  it("refuses to hand a token to a connection without TLS, before asking the credential", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const password = entraTokenProvider(credential);
    for (const parameters of [
      { host: "db.postgres.database.azure.com", port: 5432, ssl: false },
      { host: "127.0.0.1", ssl: false },
      { host: "/var/run/postgresql", ssl: undefined },
    ]) {
      await expect(password(parameters)).rejects.toMatchObject({
        code: "INSECURE_CONNECTION",
        message: expect.stringMatching(
          /would not use TLS \(pg's ssl.*set the driver's ssl to \{ rejectUnauthorized: true \}/,
        ),
      });
    }
    expect(credential.calls).toHaveLength(0);
    await expect(password({ host: "db.postgres.database.azure.com", ssl: true })).resolves.toEqual(expect.any(String));
    await expect(
      password({ host: "db.postgres.database.azure.com", ssl: { rejectUnauthorized: true } }),
    ).resolves.toEqual(expect.any(String));
    await expect(password()).resolves.toEqual(expect.any(String)); // pg < 8.19: nothing known, nothing refused
  });

  it("refuses TLS that does not verify the server (pg's own ssl, from every place pg reads it) unless allowUnverifiedTls", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const password = entraTokenProvider(credential);
    // What pg 8.23 hands the password function for each setting (its ConnectionParameters.ssl).
    const cases = [
      { ssl: { rejectUnauthorized: false } }, // ssl: { rejectUnauthorized: false }
      { ssl: { rejectUnauthorized: false, ca: "x" } }, // sslmode=no-verify in a connection string
    ];
    for (const { ssl } of cases) {
      await expect(password({ host: "db.postgres.database.azure.com", ssl })).rejects.toMatchObject({
        code: "INSECURE_CONNECTION",
        message: expect.stringMatching(/would not verify the server's certificate.*allowUnverifiedTls/),
      });
    }
    expect(credential.calls).toHaveLength(0);
    const optedIn = entraTokenProvider(credential, { allowUnverifiedTls: true });
    await expect(
      optedIn({ host: "db.postgres.database.azure.com", ssl: { rejectUnauthorized: false } }),
    ).resolves.toEqual(expect.any(String));
    await expect(optedIn({ host: "db.postgres.database.azure.com", ssl: false })).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
    });
  });

  it("allowInsecureLoopback lets a token go without TLS to this machine only", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const password = entraTokenProvider(credential, { allowInsecureLoopback: true });
    for (const host of ["localhost", "127.0.0.1", "::1", "[::1]", "/tmp/.s.PGSQL.5432"]) {
      await expect(password({ host, ssl: false })).resolves.toEqual(expect.any(String));
    }
    await expect(password({ host: "10.0.0.5", ssl: false })).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringContaining("allowInsecureLoopback only applies to a server on this machine"),
    });
    expect(() => entraTokenProvider(credential, { allowInsecureLoopback: "yes" as never })).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("allowInsecureLoopback option must be a boolean"),
      }),
    );
  });

  it("refuses options: null and tenantId: 72 at the factory call with INVALID_OPTION", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    expect(() => entraTokenProvider(credential, null as never)).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("options argument must be an object"),
      }),
    );
    expect(() => entraTokenProvider(credential, { tenantId: 72 as never })).toThrowError(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("tenantId option") }),
    );
    await expect(getEntraRoleName(credential, null as never)).rejects.toMatchObject({ code: "INVALID_OPTION" });
    expect(credential.calls).toHaveLength(0);
  });
});
