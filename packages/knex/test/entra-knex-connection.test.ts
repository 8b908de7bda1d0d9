import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { entraKnexConnection } from "../src/index.js";

const host = "myserver.postgres.database.azure.com";

beforeEach(() => {
  for (const name of ["PGHOST", "PGSSLMODE", "PGSSLROOTCERT", "PGUSER"]) vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe("entraKnexConnection", () => {
  it("resolves to the settings plus host, role name, cached token, verified TLS and an expirationChecker", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") }); // a real date: the core reads small timestamps as seconds
    const accessToken = tokenFor(alice);
    const credential = fakeCredential(() => accessToken);
    const provider = entraKnexConnection(credential, {
      connection: { host, database: "appdb", application_name: "orders" },
    });
    const [connection] = await Promise.all([provider(), provider()]);
    expect(connection).toEqual({
      host,
      database: "appdb",
      application_name: "orders",
      user: "alice@contoso.com",
      password: accessToken.token,
      ssl: { rejectUnauthorized: true },
      expirationChecker: expect.any(Function),
    });
    expect(credential.calls).toHaveLength(1);
    expect(connection!.expirationChecker()).toBe(false);
    vi.setSystemTime(accessToken.expiresOnTimestamp - 30_000);
    expect(connection!.expirationChecker()).toBe(true);
  });

  it("a user configured on the connection (a group's role) is kept; the username option wins over it", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const kept = await entraKnexConnection(credential, { connection: { host, user: "db-readers" } })();
    expect(kept.user).toBe("db-readers");
    const explicit = await entraKnexConnection(credential, {
      connection: { host, user: "db-readers" },
      username: "x",
    })();
    expect(explicit.user).toBe("x");
  });

  it("a US Government host (from PGHOST) picks its scope; the username option wins", async () => {
    vi.stubEnv("PGHOST", "db.postgres.database.usgovcloudapi.net");
    const credential = fakeCredential(() => tokenFor(alice));
    const connection = await entraKnexConnection(credential, { username: "db-readers" })();
    expect(connection).toMatchObject({ host: "db.postgres.database.usgovcloudapi.net", user: "db-readers" });
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
    ]);
  });

  it("fails at set-up without a credential or a host", () => {
    expect(() => entraKnexConnection(null as never, { connection: { host } })).toThrowError(
      expect.objectContaining({ code: "CREDENTIAL_REQUIRED", message: expect.stringContaining("entraKnexConnection") }),
    );
    expect(() => entraKnexConnection(fakeCredential(() => null))).toThrowError(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringMatching(/PGHOST/) }),
    );
  });

  it("refuses plaintext (ssl: false or PGSSLMODE=disable) at set-up, except on loopback with the opt-out", () => {
    const credential = fakeCredential(() => tokenFor(alice));
    expect(() => entraKnexConnection(credential, { connection: { host, ssl: false } })).toThrowError(
      expect.objectContaining({
        code: "INSECURE_CONNECTION",
        message: expect.stringMatching(/\(connection\.ssl is false\).*allowInsecureLoopback/),
      }),
    );
    vi.stubEnv("PGSSLMODE", "disable");
    expect(() => entraKnexConnection(credential, { connection: { host } })).toThrowError(
      expect.objectContaining({ code: "INSECURE_CONNECTION", message: expect.stringMatching(/PGSSLMODE/) }),
    );
    expect(() =>
      entraKnexConnection(credential, { connection: { host: "localhost" }, allowInsecureLoopback: true }),
    ).not.toThrow();
    expect(() => entraKnexConnection(credential, { connection: { host: "localhost", ssl: false } })).toThrowError(
      expect.objectContaining({ code: "INSECURE_CONNECTION" }),
    );
    expect(() =>
      entraKnexConnection(credential, { connection: { host: "127.0.0.1", ssl: false }, allowInsecureLoopback: true }),
    ).not.toThrow();
    expect(() =>
      entraKnexConnection(credential, { connection: { host }, allowInsecureLoopback: 1 as never }),
    ).toThrowError(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringMatching(/allowInsecureLoopback/) }),
    );
  });

  it("an allowed plaintext sslmode (allow, disable) gives pg ssl: false, never the mode's name; prefer verifies", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const sslFor = async (settings: object) =>
      (await entraKnexConnection(credential, { connection: { host: "localhost" }, ...settings })()).ssl;
    for (const sslmode of ["allow", "disable"] as const) {
      expect(await sslFor({ sslmode, allowInsecureLoopback: true })).toBe(false);
    }
    expect(await sslFor({ sslmode: "prefer", allowInsecureLoopback: true })).toEqual({ rejectUnauthorized: true });
  });

  it("refuses TLS that does not verify (connection.ssl.rejectUnauthorized false, no-verify) unless allowUnverifiedTls", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    for (const settings of [
      { connection: { host, ssl: { rejectUnauthorized: false } } },
      { connection: { host }, sslmode: "no-verify" as const },
    ]) {
      expect(() => entraKnexConnection(credential, settings)).toThrowError(
        expect.objectContaining({ code: "INSECURE_CONNECTION", message: expect.stringMatching(/allowUnverifiedTls/) }),
      );
      const connection = await entraKnexConnection(credential, { ...settings, allowUnverifiedTls: true })();
      expect(connection.ssl).toMatchObject({ rejectUnauthorized: false });
    }
    expect(credential.calls).toHaveLength(1);
  });
});
