import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccessToken } from "@azure/postgresql-auth-core";
import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getEntraPostgresOptions } from "../src/index.js";

const host = "myserver.postgres.database.azure.com";
const managedIdentity = {
  oid: "22222222-2222-2222-2222-222222222222",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api",
};

beforeEach(() => {
  for (const name of ["PGHOST", "PGSSLMODE", "PGSSLROOTCERT", "PGUSER"]) vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("getEntraPostgresOptions", () => {
  it("returns the host, the role name from the token, a cached password function and verified TLS", async () => {
    const accessToken = tokenFor(managedIdentity);
    const credential = fakeCredential(() => accessToken);
    const options = await getEntraPostgresOptions(credential, { host });
    expect(options).toEqual({
      host,
      username: "orders-api",
      password: expect.any(Function),
      ssl: { rejectUnauthorized: true },
    });
    const passwords = await Promise.all([options.password(), options.password(), options.password()]);
    expect(passwords).toEqual([accessToken.token, accessToken.token, accessToken.token]);
    expect(credential.calls).toHaveLength(1); // the set-up call and every connection share one token
  });

  it("binds the host's cloud: a US Government host gets its scope although postgres.js passes no host", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const options = await getEntraPostgresOptions(credential, {
      host: "db.postgres.database.usgovcloudapi.net",
      cache: false,
    });
    await options.password();
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
    ]);
  });

  it("reads the host from PGHOST, and the multi-host forms", async () => {
    vi.stubEnv("PGHOST", "db.postgres.database.chinacloudapi.cn");
    const credential = fakeCredential(() => tokenFor(alice));
    expect((await getEntraPostgresOptions(credential, { cache: false })).host).toBe(
      "db.postgres.database.chinacloudapi.cn",
    );
    await getEntraPostgresOptions(credential, {
      host: "a.postgres.database.usgovcloudapi.net:5432,b.postgres.database.usgovcloudapi.net:5433",
      cache: false,
    });
    await getEntraPostgresOptions(credential, {
      host: ["a.postgres.database.azure.com", "b.postgres.database.azure.com"],
      cache: false,
    });
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.chinacloudapi.cn/.default"],
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ["https://ossrdbms-aad.database.windows.net/.default"],
    ]);
  });

  it("refuses hosts in different clouds without a scope, and accepts them with one", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const hosts = ["a.postgres.database.azure.com", "b.postgres.database.usgovcloudapi.net"];
    expect(() => getEntraPostgresOptions(credential, { host: hosts })).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringMatching(/scope/),
      }),
    );
    await expect(
      getEntraPostgresOptions(credential, { host: hosts, scope: "api://x/.default" }),
    ).resolves.toMatchObject({ host: hosts.join(",") });
  });

  it("an explicit username wins and no token is requested at set-up", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const options = await getEntraPostgresOptions(credential, { host, username: "db-readers" });
    expect(options.username).toBe("db-readers");
    expect(credential.calls).toHaveLength(0);
  });

  it("fails at set-up without a credential, a host or a valid username", async () => {
    expect(() => getEntraPostgresOptions(null as never, { host })).toThrowError(
      expect.objectContaining({
        code: "CREDENTIAL_REQUIRED",
        message: expect.stringMatching(/getEntraPostgresOptions/),
      }),
    );
    const credential = fakeCredential(() => tokenFor(alice));
    expect(() => getEntraPostgresOptions(credential)).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringMatching(/PGHOST/),
      }),
    );
    expect(() => getEntraPostgresOptions(credential, { host, username: " " })).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
      }),
    );
    expect(credential.calls).toHaveLength(0);
  });

  it("set-up fails with the credential's error; later the password function resolves to an empty password instead of rejecting", async () => {
    const failing = fakeCredential(() => Promise.reject(new Error("endpoint down")));
    await expect(getEntraPostgresOptions(failing, { host })).rejects.toMatchObject({
      code: "TOKEN_ACQUISITION_FAILED",
    });
    // postgres.js 3.4 does not catch a rejected password promise (the process would exit).
    const options = await getEntraPostgresOptions(failing, { host, username: "alice@contoso.com" });
    await expect(options.password()).resolves.toBe("");
  });

  it("a failed password is a Node.js warning with the error's code, once per distinct failure until a token is had", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    let answer: () => Promise<AccessToken> = () => Promise.reject(new Error("endpoint down"));
    const credential = fakeCredential(() => answer());
    const options = await getEntraPostgresOptions(credential, { host, username: "alice@contoso.com", cache: false });
    try {
      await options.password();
      await options.password(); // the same failure: not again
      answer = () => Promise.reject(new Error("another failure"));
      await options.password();
      answer = async () => tokenFor(alice);
      await expect(options.password()).resolves.not.toBe("");
      answer = () => Promise.reject(new Error("endpoint down"));
      await options.password(); // after a success, the same failure is news again
      expect(
        warnings.mock.calls.map(([text, extra]) => [String(text).match(/endpoint down|another failure/)?.[0], extra]),
      ).toEqual([
        ["endpoint down", expect.objectContaining({ type: "EntraAuthWarning", code: "TOKEN_ACQUISITION_FAILED" })],
        ["another failure", expect.objectContaining({ type: "EntraAuthWarning", code: "TOKEN_ACQUISITION_FAILED" })],
        ["endpoint down", expect.objectContaining({ type: "EntraAuthWarning", code: "TOKEN_ACQUISITION_FAILED" })],
      ]);
    } finally {
      warnings.mockRestore();
    }
  });

  it("does not put the token in the role name error", async () => {
    const accessToken = tokenFor({ oid: "x" });
    const error = await getEntraPostgresOptions(
      fakeCredential(() => accessToken),
      { host },
    ).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "ROLE_NAME_UNRESOLVED" });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
      accessToken.token.split(".")[1],
    );
  });
});

describe("getEntraPostgresOptions TLS (the rule itself: core's createEntraLogin tests)", () => {
  const credential = fakeCredential(() => tokenFor(alice));
  const ssl = async (settings: Parameters<typeof getEntraPostgresOptions>[1] = {}) =>
    (await getEntraPostgresOptions(credential, { host, username: "alice@contoso.com", ...settings })).ssl;

  it("verifies the certificate by default and reads the CA from PGSSLROOTCERT", async () => {
    expect(await ssl()).toEqual({ rejectUnauthorized: true });
    const file = join(mkdtempSync(join(tmpdir(), "ca-")), "ca.pem");
    writeFileSync(file, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
    vi.stubEnv("PGSSLROOTCERT", file);
    expect(await ssl()).toEqual({ rejectUnauthorized: true, ca: expect.stringContaining("fake") });
  });

  it("refuses plaintext modes with INSECURE_CONNECTION naming the fix", async () => {
    vi.stubEnv("PGSSLMODE", "disable");
    await expect(ssl()).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(/PGSSLMODE.*verify-full.*allowInsecureLoopback/),
    });
  });

  it.each([
    { hosts: "localhost", sslmode: "disable" },
    { hosts: "::1", sslmode: "allow" },
    { hosts: ["[::1]:5432", "/var/run/postgresql"], sslmode: "disable" },
  ] as const)("allows $sslmode to $hosts with allowInsecureLoopback, as ssl: false", async ({ hosts, sslmode }) => {
    const settings = { host: hosts as string | string[], sslmode };
    expect(await ssl({ ...settings, allowInsecureLoopback: true })).toBe(false);
    await expect(ssl(settings)).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
  });

  it.each(["prefer", "require"] as const)(
    "sslmode %s verifies the certificate (postgres.js's own would not)",
    async (sslmode) => {
      expect(await ssl({ sslmode })).toEqual({ rejectUnauthorized: true });
    },
  );

  it("refuses no-verify unless allowUnverifiedTls", async () => {
    await expect(ssl({ sslmode: "no-verify" })).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(/not verify the server's certificate.*allowUnverifiedTls/),
    });
    expect(await ssl({ sslmode: "no-verify", allowUnverifiedTls: true })).toEqual({ rejectUnauthorized: false });
  });

  it("refuses plaintext when any of several hosts is not on this machine", async () => {
    await expect(
      ssl({ host: ["localhost", host], sslmode: "disable", allowInsecureLoopback: true }),
    ).rejects.toMatchObject({ code: "INSECURE_CONNECTION", message: /only applies to a server on this machine/ });
  });
});
