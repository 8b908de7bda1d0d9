import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createEntraDriverFactory, type SlonikDriverConfigurationLike } from "../src/index.js";

const managedIdentity = {
  oid: "22222222-2222-2222-2222-222222222222",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api",
};
const uri = "postgres://myserver.postgres.database.azure.com:5432/appdb";

/** A driver factory that records the configuration of every driver it sets up. */
function fakeDriverFactory() {
  const setups: SlonikDriverConfigurationLike[] = [];
  let clients = 0;
  const factory = async ({
    driverConfiguration,
  }: {
    driverConfiguration: SlonikDriverConfigurationLike & { statementTimeout?: number };
  }) => {
    setups.push(driverConfiguration);
    const setup = setups.length;
    return { createClient: async () => ({ setup, client: ++clients }) };
  };
  return { factory, setups };
}
const configuration = (connectionUri: string, extra: object = {}) => ({
  driverConfiguration: { connectionUri, statementTimeout: 5, ...extra },
});

beforeEach(() => {
  for (const name of ["PGSSLMODE", "PGSSLROOTCERT", "PGUSER"]) vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("createEntraDriverFactory", () => {
  it("sets up the inner driver with the role name and token in the URI, verified TLS, and the other settings kept", async () => {
    const accessToken = tokenFor(managedIdentity);
    const credential = fakeCredential(() => accessToken);
    const { factory, setups } = fakeDriverFactory();
    const driver = await createEntraDriverFactory(factory, credential)(configuration(uri));
    await Promise.all([driver.createClient(), driver.createClient(), driver.createClient()]);
    expect(setups).toHaveLength(1);
    const url = new URL(setups[0]!.connectionUri);
    expect([url.username, decodeURIComponent(url.password), url.host, url.pathname]).toEqual([
      "orders-api",
      accessToken.token,
      "myserver.postgres.database.azure.com:5432",
      "/appdb",
    ]);
    expect(setups[0]).toMatchObject({ ssl: { rejectUnauthorized: true }, statementTimeout: 5 });
    expect(credential.calls).toHaveLength(1);
  });

  it("sets up a new inner driver when the token changes, so new connections get the new token", async () => {
    let n = 0;
    const credential = fakeCredential(() => tokenFor({ ...alice, n: ++n }));
    const { factory, setups } = fakeDriverFactory();
    const driver = await createEntraDriverFactory(factory, credential, { cache: false })(configuration(uri));
    await expect(driver.createClient()).resolves.toEqual({ setup: 2, client: 1 });
    await expect(driver.createClient()).resolves.toEqual({ setup: 3, client: 2 });
    expect(new Set(setups.map((s) => new URL(s.connectionUri).password)).size).toBe(3);
  });

  it("a US Government host in the URI picks its scope", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    await createEntraDriverFactory(
      fakeDriverFactory().factory,
      credential,
    )(configuration("postgres://db.postgres.database.usgovcloudapi.net/appdb"));
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
    ]);
  });

  it("keeps a user name given in the URI (group login); the username option wins over it", async () => {
    const { factory, setups } = fakeDriverFactory();
    const credential = fakeCredential(() => tokenFor(alice));
    await createEntraDriverFactory(factory, credential)(configuration("postgres://db-readers@localhost:5432/appdb"));
    await createEntraDriverFactory(factory, credential, { username: "other" })(
      configuration("postgres://db-readers@localhost:5432/appdb"),
    );
    expect(setups.map((s) => new URL(s.connectionUri).username)).toEqual(["db-readers", "other"]);
  });

  it("keeps Slonik's own ssl setting", async () => {
    const { factory, setups } = fakeDriverFactory();
    const ssl = { ca: "my-ca", rejectUnauthorized: true };
    await createEntraDriverFactory(
      factory,
      fakeCredential(() => tokenFor(alice)),
    )(configuration(uri, { ssl }));
    expect(setups[0]!.ssl).toBe(ssl);
  });

  it("fails at set-up without a credential or a driver factory", () => {
    const credential = fakeCredential(() => tokenFor(alice));
    expect(() => createEntraDriverFactory(fakeDriverFactory().factory, null as never)).toThrowError(
      expect.objectContaining({
        code: "CREDENTIAL_REQUIRED",
        message: expect.stringContaining("createEntraDriverFactory"),
      }),
    );
    expect(() => createEntraDriverFactory(undefined as never, credential)).toThrowError(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(credential.calls).toHaveLength(0);
  });

  it("refuses a password in the URI, sslmode=no-verify and plaintext modes, naming the fix", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const entra = createEntraDriverFactory(fakeDriverFactory().factory, credential);
    await expect(entra(configuration("postgres://u:secret@localhost/appdb"))).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: /remove the password/,
    });
    await expect(entra(configuration(`${uri}?sslmode=no-verify`))).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: /sslmode in the connection URI is "no-verify".*allowUnverifiedTls/,
    });
    await expect(
      entra({ driverConfiguration: { connectionUri: uri, ssl: { rejectUnauthorized: false } } }),
    ).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: /Slonik's ssl option is \{ rejectUnauthorized: false \}/,
    });
    await expect(entra(configuration(`${uri}?sslmode=disable`))).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: /allowInsecureLoopback/,
    });
    vi.stubEnv("PGSSLMODE", "allow");
    await expect(entra(configuration(uri))).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: /PGSSLMODE/,
    });
    expect(credential.calls).toHaveLength(0);
  });

  it("sslmode=require in the URI (Slonik's own would not verify) and PGSSLMODE=prefer give verified TLS", async () => {
    const { factory, setups } = fakeDriverFactory();
    const entra = createEntraDriverFactory(
      factory,
      fakeCredential(() => tokenFor(alice)),
    );
    await entra(configuration(`${uri}?sslmode=require`));
    vi.stubEnv("PGSSLMODE", "prefer");
    await entra(configuration(uri));
    expect(setups.map((setup) => setup.ssl)).toEqual([{ rejectUnauthorized: true }, { rejectUnauthorized: true }]);
  });

  it("allowUnverifiedTls lets sslmode=no-verify through", async () => {
    const { factory, setups } = fakeDriverFactory();
    await createEntraDriverFactory(
      factory,
      fakeCredential(() => tokenFor(alice)),
      { allowUnverifiedTls: true },
    )(configuration(`${uri}?sslmode=no-verify`));
    expect(setups[0]!.ssl).toEqual({ rejectUnauthorized: false });
  });

  it("allows plaintext to a loopback host only with allowInsecureLoopback", async () => {
    const { factory, setups } = fakeDriverFactory();
    const credential = fakeCredential(() => tokenFor(alice));
    await createEntraDriverFactory(factory, credential, { allowInsecureLoopback: true })(
      configuration("postgres://127.0.0.1/appdb?sslmode=disable"),
    );
    expect(setups[0]!.ssl).toBeUndefined();
    // pg has no "allow": the inner driver gets no ssl object, never the mode's name.
    await createEntraDriverFactory(factory, credential, { allowInsecureLoopback: true, sslmode: "allow" })(
      configuration("postgres://localhost/appdb"),
    );
    expect(setups[1]!.ssl).toBeUndefined();
    await expect(
      createEntraDriverFactory(factory, credential, { allowInsecureLoopback: true })(
        configuration(`${uri}?sslmode=disable`),
      ),
    ).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
  });

  it("a failed inner set-up is retried by the next connection", async () => {
    const { factory, setups } = fakeDriverFactory();
    let fail = false;
    const flaky = async (input: Parameters<typeof factory>[0]) => {
      if (fail) throw new Error("backend down");
      return factory(input);
    };
    let n = 0;
    const driver = await createEntraDriverFactory(
      flaky,
      fakeCredential(() => tokenFor({ ...alice, n: ++n })),
      { cache: false },
    )(configuration(uri));
    fail = true;
    await expect(driver.createClient()).rejects.toThrow("backend down");
    fail = false;
    await expect(driver.createClient()).resolves.toMatchObject({ setup: 2 });
    expect(setups).toHaveLength(2);
  });
});
