import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { entraMikroOrmPassword, getEntraMikroOrmOptions } from "../src/index.js";

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
  vi.useRealTimers();
});

describe("entraMikroOrmPassword", () => {
  it("returns the cached token with an expirationChecker that turns true shortly before the token expires", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") }); // a real date: the core reads small timestamps as seconds
    const accessToken = tokenFor(alice, 3_600_000);
    const credential = fakeCredential(() => accessToken);
    const password = entraMikroOrmPassword(credential);
    const [first, second] = await Promise.all([password(), password()]);
    expect(first.password).toBe(accessToken.token);
    expect(second.password).toBe(accessToken.token);
    expect(credential.calls).toHaveLength(1);
    expect(first.expirationChecker()).toBe(false);
    vi.setSystemTime(accessToken.expiresOnTimestamp - 31_000);
    expect(first.expirationChecker()).toBe(false);
    vi.setSystemTime(accessToken.expiresOnTimestamp - 30_000);
    expect(first.expirationChecker()).toBe(true);
  });

  it("a token handed out close to its expiry does not read as expired at once (Knex would throw)", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") }); // a real date: the core reads small timestamps as seconds
    const accessToken = tokenFor(alice, 8_000);
    const { expirationChecker } = await entraMikroOrmPassword(
      fakeCredential(() => accessToken),
      { cache: false },
    )();
    expect(expirationChecker()).toBe(false);
    vi.setSystemTime(accessToken.expiresOnTimestamp - 2_000); // the last quarter
    expect(expirationChecker()).toBe(true);
  });

  it("binds the host's cloud: a US Government host gets its scope", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    await entraMikroOrmPassword(credential, { host: "db.postgres.database.usgovcloudapi.net" })();
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
    ]);
  });

  it("fails at set-up without a credential", () => {
    expect(() => entraMikroOrmPassword(null as never)).toThrowError(
      expect.objectContaining({ code: "CREDENTIAL_REQUIRED" }),
    );
  });
});

describe("getEntraMikroOrmOptions", () => {
  it("returns host, the role name from the token, the dynamic password and verified TLS", async () => {
    const accessToken = tokenFor(managedIdentity);
    const credential = fakeCredential(() => accessToken);
    const options = await getEntraMikroOrmOptions(credential, { host });
    expect(options).toEqual({
      host,
      user: "orders-api",
      password: expect.any(Function),
      driverOptions: { connection: { ssl: { rejectUnauthorized: true } } },
    });
    expect((await options.password()).password).toBe(accessToken.token);
    expect(credential.calls).toHaveLength(1);
  });

  it("US Government host from PGHOST picks its scope; an explicit username needs no token at set-up", async () => {
    vi.stubEnv("PGHOST", "db.postgres.database.usgovcloudapi.net");
    const credential = fakeCredential(() => tokenFor(alice));
    const options = await getEntraMikroOrmOptions(credential, { username: "db-readers" });
    expect(options.user).toBe("db-readers");
    expect(credential.calls).toHaveLength(0);
    await options.password();
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
    ]);
  });

  it("fails at set-up without a credential or a host", async () => {
    expect(() => getEntraMikroOrmOptions(null as never, { host })).toThrowError(
      expect.objectContaining({
        code: "CREDENTIAL_REQUIRED",
      }),
    );
    expect(() => getEntraMikroOrmOptions(fakeCredential(() => tokenFor(alice)))).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringMatching(/PGHOST/),
      }),
    );
  });

  it("TLS: PGSSLROOTCERT is read, plaintext modes are refused except on loopback with the opt-out", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const ssl = async (settings: object) =>
      (await getEntraMikroOrmOptions(credential, { host, username: "alice@contoso.com", ...settings })).driverOptions
        .connection.ssl;
    const file = join(mkdtempSync(join(tmpdir(), "ca-")), "ca.pem");
    writeFileSync(file, "fake-ca");
    vi.stubEnv("PGSSLROOTCERT", file);
    expect(await ssl({})).toEqual({ rejectUnauthorized: true, ca: "fake-ca" });
    vi.stubEnv("PGSSLMODE", "disable");
    await expect(ssl({})).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: /PGSSLMODE.*allowInsecureLoopback/,
    });
    await expect(ssl({ allowInsecureLoopback: true })).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
    expect(await ssl({ host: "127.0.0.1", allowInsecureLoopback: true })).toBe(false);
    // pg has no "allow": an allowed plaintext mode is ssl: false, never the mode's name; prefer verifies.
    expect(await ssl({ host: "localhost", sslmode: "allow", allowInsecureLoopback: true })).toBe(false);
    expect(await ssl({ host: "localhost", sslmode: "prefer", allowInsecureLoopback: true })).toMatchObject({
      rejectUnauthorized: true,
    });
    await expect(ssl({ sslmode: "no-verify" })).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
    expect(await ssl({ sslmode: "no-verify", allowUnverifiedTls: true })).toEqual({ rejectUnauthorized: false });
  });
});
