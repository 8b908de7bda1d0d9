// The login policy: host, the one TLS rule, token and role name, decided the same way for every
// adapter. The TLS table here is the core's half; packages/test-support's conformance suite runs the
// same settings through every adapter against the emulator.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEntraLogin,
  EntraAuthError,
  type EntraConnectionTls,
  type EntraLoginOptions,
  type SslMode,
} from "../src/index.js";

const azure = "myserver.postgres.database.azure.com";
const managedIdentity = {
  oid: "22222222-2222-2222-2222-222222222222",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api",
};

afterEach(() => {
  vi.unstubAllEnvs();
});

function failure(run: () => unknown): EntraAuthError {
  try {
    run();
  } catch (err) {
    if (EntraAuthError.isInstance(err)) return err;
    throw err;
  }
  throw new Error("expected an EntraAuthError");
}

/** A login whose credential counts its calls, with an empty environment unless given. */
function loginWith(options: EntraLoginOptions = {}) {
  const credential = fakeCredential(() => tokenFor(alice));
  return { credential, login: createEntraLogin(credential, { env: {}, ...options }) };
}

type Outcome = "verified" | "refused";

/** The one TLS table: each setting, as a libpq mode or as the driver's own ssl value, and its outcome. */
const table: Array<{ name: string; tls?: EntraConnectionTls; env?: Record<string, string>; outcome: Outcome }> = [
  { name: "no TLS setting at all (verify-full)", outcome: "verified" },
  { name: "ssl: false", tls: { ssl: false }, outcome: "refused" },
  { name: "ssl: undefined (the driver's plaintext default)", tls: { ssl: undefined }, outcome: "refused" },
  { name: "ssl: true", tls: { ssl: true }, outcome: "verified" },
  { name: "ssl: {}", tls: { ssl: {} }, outcome: "verified" },
  {
    name: "ssl: { rejectUnauthorized: true, ca }",
    tls: { ssl: { rejectUnauthorized: true, ca: "x" } },
    outcome: "verified",
  },
  { name: "rejectUnauthorized: false", tls: { ssl: { rejectUnauthorized: false } }, outcome: "refused" },
  { name: "pg's ssl: 'no-verify'", tls: { ssl: "no-verify" }, outcome: "refused" },
  { name: "postgres.js's ssl: 'require' (does not verify)", tls: { ssl: "require" }, outcome: "refused" },
  ...(["disable", "allow", "no-verify"] as const).flatMap((mode) => [
    { name: `sslmode ${mode}`, tls: { sslmode: mode }, outcome: "refused" as const },
    { name: `PGSSLMODE=${mode}`, env: { PGSSLMODE: mode }, outcome: "refused" as const },
  ]),
  ...(["prefer", "require", "verify-ca", "verify-full"] as const).flatMap((mode) => [
    { name: `sslmode ${mode}`, tls: { sslmode: mode }, outcome: "verified" as const },
    { name: `PGSSLMODE=${mode}`, env: { PGSSLMODE: mode }, outcome: "verified" as const },
  ]),
];

describe("createEntraLogin: the one TLS rule", () => {
  it.each(table)("$name to an Azure host: $outcome", async ({ tls, env, outcome }) => {
    const { credential, login } = loginWith({ env: env ?? {} });
    const request = { host: azure, ...(tls !== undefined && { tls }) };
    if (outcome === "verified") {
      const { ssl } = login.prepare(request);
      expect(ssl).toMatchObject({});
      expect((ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized).not.toBe(false);
      await expect(login.login(request)).resolves.toMatchObject({ user: "alice@contoso.com" });
    } else {
      expect(failure(() => login.prepare(request)).code).toBe("INSECURE_CONNECTION");
      await expect(login.login(request)).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
      await expect(login.password(request)).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
      expect(credential.calls).toHaveLength(0); // refused before any token is requested
    }
  });

  it.each(table.filter((row) => row.outcome === "refused"))(
    "$name to a loopback host with allowInsecureLoopback: allowed (a local proxy)",
    async ({ tls, env }) => {
      const { credential, login } = loginWith({ env: env ?? {}, allowInsecureLoopback: true });
      const request = { host: "127.0.0.1", ...(tls !== undefined && { tls }) };
      await expect(login.login(request)).resolves.toMatchObject({ password: expect.any(String) });
      expect(credential.calls).toHaveLength(1);
      // The opt-in never reaches another host, nor a list with one host elsewhere.
      for (const host of [azure, ["localhost", azure]]) {
        expect(failure(() => login.prepare({ host, ...(tls !== undefined && { tls }) })).code).toBe(
          "INSECURE_CONNECTION",
        );
      }
    },
  );

  it("allowUnverifiedTls lets unverified TLS through to any host, never plaintext", () => {
    const { login } = loginWith({ allowUnverifiedTls: true });
    expect(login.prepare({ host: azure, tls: { ssl: { rejectUnauthorized: false } } }).ssl).toEqual({
      rejectUnauthorized: false,
    });
    expect(login.prepare({ host: azure, tls: { sslmode: "no-verify" } }).ssl).toEqual({ rejectUnauthorized: false });
    for (const tls of [{ ssl: false }, { sslmode: "disable" }, { sslmode: "allow" }] as EntraConnectionTls[]) {
      expect(failure(() => login.prepare({ host: azure, tls })).code).toBe("INSECURE_CONNECTION");
    }
  });

  it("NODE_TLS_REJECT_UNAUTHORIZED=0 makes ssl: true unverified (refused); explicit rejectUnauthorized: true still verifies", () => {
    vi.stubEnv("NODE_TLS_REJECT_UNAUTHORIZED", "0");
    const { login } = loginWith();
    expect(failure(() => login.prepare({ host: azure, tls: { ssl: true } })).code).toBe("INSECURE_CONNECTION");
    expect(failure(() => login.prepare({ host: azure, tls: { ssl: {} } })).code).toBe("INSECURE_CONNECTION");
    expect(login.prepare({ host: azure, tls: { ssl: { rejectUnauthorized: true } } }).ssl).toEqual({
      rejectUnauthorized: true,
    });
    expect(login.prepare({ host: azure }).ssl).toEqual({ rejectUnauthorized: true }); // ours always says so
  });

  it("messages name the setting, the risk, the fix and the opt-in that applies", () => {
    const { login } = loginWith({ env: { PGSSLMODE: "disable" } });
    expect(failure(() => login.prepare({ host: azure, port: 5432 })).message).toMatch(
      /^createEntraLogin refused to send an access token to myserver\.postgres\.database\.azure\.com:5432: .*PGSSLMODE environment variable is "disable".*verify-full.*allowInsecureLoopback only applies/,
    );
    const unverified = failure(() =>
      login.prepare({ host: "localhost", tls: { ssl: { rejectUnauthorized: false }, setting: "dialectOptions.ssl" } }),
    ).message;
    expect(unverified).toMatch(/\(dialectOptions\.ssl is \{ rejectUnauthorized: false \}; PGSSLMODE=disable is set/);
    expect(unverified).toMatch(/allowUnverifiedTls option to true.*set the allowInsecureLoopback option to true/);
    expect(
      failure(() => loginWith().login.prepare({ host: "/var/run/postgresql", tls: { ssl: false } })).message,
    ).toMatch(/the Unix socket in \/var\/run\/postgresql/);
  });

  it("the connection's own setting wins over the sslmode option, which wins over PGSSLMODE", () => {
    const { login } = loginWith({ sslmode: "verify-full", env: { PGSSLMODE: "disable" } });
    expect(login.prepare({ host: azure }).ssl).toEqual({ rejectUnauthorized: true });
    expect(failure(() => login.prepare({ host: azure, tls: { sslmode: "disable" } })).code).toBe("INSECURE_CONNECTION");
  });

  it("an empty PGSSLMODE means unset (as in libpq): verified TLS, no INVALID_OPTION", () => {
    const { login } = loginWith({ env: { PGSSLMODE: "" } });
    expect(login.prepare({ host: azure }).ssl).toEqual({ rejectUnauthorized: true });
  });

  it("verify-ca checks the chain but not the host name (unless sslrootcert is system)", () => {
    const { login } = loginWith({ sslmode: "verify-ca" });
    const ssl = login.prepare({ host: azure }).ssl as { checkServerIdentity: () => unknown };
    expect(ssl).toEqual({ rejectUnauthorized: true, checkServerIdentity: expect.any(Function) });
    expect(ssl.checkServerIdentity()).toBeUndefined();
    expect(loginWith({ sslmode: "verify-ca", sslrootcert: "system" }).login.prepare({ host: azure }).ssl).toEqual({
      rejectUnauthorized: true,
    });
  });

  it("reads the CA file from the sslrootcert option, PGSSLROOTCERT or the connection's own, once per file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "ca-")), "ca.pem");
    writeFileSync(file, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
    const ca = expect.stringContaining("fake");
    expect(loginWith({ env: { PGSSLROOTCERT: file } }).login.prepare({ host: azure }).ssl).toEqual({
      rejectUnauthorized: true,
      ca,
    });
    const { login } = loginWith({ sslrootcert: file });
    expect(login.prepare({ host: azure }).ssl).toMatchObject({ ca });
    writeFileSync(file, "changed"); // kept from the first read
    expect(login.prepare({ host: azure }).ssl).toMatchObject({ ca });
    expect(
      loginWith().login.prepare({ host: azure, tls: { sslmode: "require", sslrootcert: file, setting: "the URI" } })
        .ssl,
    ).toMatchObject({ ca: "changed" });
    const missing = join(file, "missing");
    expect(failure(() => loginWith({ env: { PGSSLROOTCERT: missing } }).login.prepare({ host: azure }))).toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/PGSSLROOTCERT environment variable/),
      cause: expect.anything(),
    });
    expect(failure(() => loginWith({ sslrootcert: missing }).login.prepare({ host: azure })).message).toMatch(
      /sslrootcert option/,
    );
  });

  it("an unknown mode is INVALID_OPTION: in the option at set-up, from PGSSLMODE or a URI at the connection", () => {
    const credential = fakeCredential(() => tokenFor(alice));
    expect(failure(() => createEntraLogin(credential, { sslmode: "bogus" as SslMode }))).toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/sslmode option must be one of/),
    });
    expect(failure(() => loginWith({ env: { PGSSLMODE: "bogus" } }).login.prepare({ host: azure })).message).toMatch(
      /PGSSLMODE environment variable must be one of/,
    );
    expect(failure(() => createEntraLogin(credential, { allowUnverifiedTls: "yes" as never })).message).toMatch(
      /allowUnverifiedTls option must be a boolean/,
    );
  });

  it('tls: "unknown" (the driver does not say) goes ahead, also without a host', async () => {
    const { credential, login } = loginWith();
    await expect(login.password({ tls: "unknown" })).resolves.toMatchObject({ ssl: undefined, hosts: [] });
    expect(credential.calls.map((call) => call.scopes)).toEqual([
      ["https://ossrdbms-aad.database.windows.net/.default"],
    ]);
  });
});

describe("createEntraLogin: host, scope, token and role name", () => {
  it("the host: the connection's, else the host option, else PGHOST; none is INVALID_OPTION naming PGHOST", () => {
    expect(loginWith({ env: { PGHOST: "a.postgres.database.azure.com" } }).login.prepare().host).toBe(
      "a.postgres.database.azure.com",
    );
    expect(loginWith({ host: "b", env: { PGHOST: "a" } }).login.prepare().host).toBe("b");
    expect(loginWith({ host: "b" }).login.prepare({ host: "c" }).host).toBe("c");
    expect(failure(() => loginWith().login.prepare())).toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/createEntraLogin: no server host.*PGHOST/),
    });
  });

  it("several hosts: kept as the driver takes them, ports cut for the rules, one cloud or a scope", () => {
    const plan = loginWith().login.prepare({ host: "a.postgres.database.azure.com:5432,[::1]:5433,::1" });
    expect(plan).toMatchObject({
      host: "a.postgres.database.azure.com:5432,[::1]:5433,::1",
      hosts: ["a.postgres.database.azure.com", "[::1]", "::1"],
    });
    const mixed = ["a.postgres.database.azure.com", "b.postgres.database.usgovcloudapi.net"];
    expect(failure(() => loginWith().login.prepare({ host: mixed })).message).toMatch(/different clouds.*scope/);
    expect(loginWith({ scope: "api://x/.default" }).login.prepare({ host: mixed }).host).toBe(mixed.join(","));
  });

  it("the scope follows the host option over the connection's host (an IP or alias of a US Government server)", async () => {
    const { credential, login } = loginWith({ host: "db.postgres.database.usgovcloudapi.net", cache: false });
    await login.password({ host: "10.0.0.4", tls: { ssl: true } });
    const china = loginWith({ cache: false });
    await china.login.password({ host: "db.postgres.database.chinacloudapi.cn" });
    await china.login.password({ host: "localhost", tls: { ssl: true } });
    expect([...credential.calls, ...china.credential.calls].map((call) => call.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ["https://ossrdbms-aad.database.chinacloudapi.cn/.default"],
      ["https://ossrdbms-aad.database.windows.net/.default"],
    ]);
  });

  it("the role name: username, then the configured user, then the token, then fallbackUsername, then PGUSER", async () => {
    const credential = fakeCredential(() => tokenFor(managedIdentity));
    const login = (options: EntraLoginOptions) => createEntraLogin(credential, { host: azure, ...options });
    expect((await login({ username: "explicit" }).login({ configuredUser: "group" })).user).toBe("explicit");
    expect(await login({}).login({ configuredUser: "group" })).toMatchObject({
      user: "group",
      userSource: "configured",
    });
    expect(await login({ env: { PGUSER: "env" } }).login()).toMatchObject({
      user: "orders-api",
      userSource: "xms_mirid",
    });
    const noClaims = fakeCredential(() => tokenFor({ oid: "x" }));
    expect(
      await createEntraLogin(noClaims, { host: azure, fallbackUsername: "fb", env: { PGUSER: "env" } }).login(),
    ).toMatchObject({ user: "fb", userSource: "fallbackUsername" });
    expect(await createEntraLogin(noClaims, { host: azure, env: { PGUSER: "env" } }).login()).toMatchObject({
      user: "env",
      userSource: "PGUSER",
    });
    // env: {} (the proxy, check) never reads this process's PGUSER.
    vi.stubEnv("PGUSER", "from-the-process");
    await expect(createEntraLogin(noClaims, { host: azure, env: {} }).login()).rejects.toMatchObject({
      code: "ROLE_NAME_UNRESOLVED",
    });
  });

  it("roleName asks for a token only when the role must come from it", async () => {
    const { credential, login } = loginWith({ host: azure });
    expect(await login.roleName({ configuredUser: "group" })).toBe("group");
    expect(await loginWith({ username: "me" }).login.roleName()).toBe("me");
    expect(credential.calls).toHaveLength(0);
    expect(await login.roleName()).toBe("alice@contoso.com");
    expect(credential.calls).toHaveLength(1);
  });

  it("reuseUntilTimestamp: 30 s before expiry, at most a quarter of the time left", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") });
    try {
      for (const [left, reuseFor] of [
        [3_600_000, 3_570_000],
        [40_000, 30_000],
        [8_000, 6_000],
      ] as const) {
        const credential = fakeCredential(() => tokenFor(alice, left));
        const result = await createEntraLogin(credential, { host: azure, cache: false }).password();
        expect(result.reuseUntilTimestamp - Date.now()).toBe(reuseFor);
        expect(result.expiresOnTimestamp - Date.now()).toBe(left);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it("checks the credential and every option at once, naming the caller", () => {
    expect(failure(() => createEntraLogin(null as never, {}, "myAdapter"))).toMatchObject({
      code: "CREDENTIAL_REQUIRED",
      message: expect.stringMatching(/^myAdapter: credential is required/),
    });
    const credential = fakeCredential(() => tokenFor(alice));
    for (const options of [
      { host: "" },
      { host: [] },
      { env: "x" },
      { username: "" },
      { allowInsecureLoopback: 1 },
      { sslrootcert: 1 },
      { timeoutMs: -1 },
    ]) {
      expect(failure(() => createEntraLogin(credential, options as never)).code).toBe("INVALID_OPTION");
    }
    expect(credential.calls).toHaveLength(0);
  });

  it("a request that is not an object is INVALID_OPTION", async () => {
    await expect(loginWith().login.login("x" as never)).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });
});

describe("createEntraLogin: a connection like an earlier one reuses its decision, never a stale one", () => {
  it("the same request gets the same plan, as a copy the caller may change", () => {
    const { login } = loginWith({ host: azure });
    login.prepare({ tls: { sslmode: "require" } });
    const remembered = login.prepare({ tls: { sslmode: "require" } });
    remembered.ssl = false;
    const again = login.prepare({ tls: { sslmode: "require" } });
    expect(again).toEqual({ host: azure, hosts: [azure], ssl: { rejectUnauthorized: true } });
    expect(Object.isFrozen(again.hosts)).toBe(true);
  });

  it("re-decides when PGSSLMODE, PGSSLROOTCERT or PGHOST changes (the env option or process.env)", () => {
    const env: Record<string, string | undefined> = { PGHOST: azure };
    const { login } = loginWith({ env });
    expect(login.prepare().ssl).toEqual({ rejectUnauthorized: true });
    env.PGSSLMODE = "disable";
    expect(failure(() => login.prepare()).code).toBe("INSECURE_CONNECTION");
    env.PGSSLMODE = undefined;
    env.PGHOST = "b.postgres.database.usgovcloudapi.net";
    expect(login.prepare().hosts).toEqual(["b.postgres.database.usgovcloudapi.net"]);
    const file = join(mkdtempSync(join(tmpdir(), "ca-")), "ca.pem");
    writeFileSync(file, "fake-ca");
    env.PGSSLROOTCERT = file;
    expect(login.prepare().ssl).toEqual({ rejectUnauthorized: true, ca: "fake-ca" });

    const fromProcess = createEntraLogin(fakeCredential(() => tokenFor(alice)));
    vi.stubEnv("PGHOST", azure);
    expect(fromProcess.prepare({ tls: { sslmode: "require" } }).host).toBe(azure);
    vi.stubEnv("PGHOST", "c.postgres.database.azure.com");
    expect(fromProcess.prepare({ tls: { sslmode: "require" } }).host).toBe("c.postgres.database.azure.com");
    vi.stubEnv("PGSSLMODE", "no-verify");
    expect(failure(() => fromProcess.prepare()).code).toBe("INSECURE_CONNECTION");
  });

  it("re-decides when the driver's ssl object or NODE_TLS_REJECT_UNAUTHORIZED changes", () => {
    const { login } = loginWith();
    const ssl: { rejectUnauthorized?: boolean } = { rejectUnauthorized: true };
    expect(login.prepare({ host: azure, tls: { ssl } }).ssl).toBe(ssl);
    ssl.rejectUnauthorized = false;
    expect(failure(() => login.prepare({ host: azure, tls: { ssl } })).code).toBe("INSECURE_CONNECTION");
    delete ssl.rejectUnauthorized;
    expect(login.prepare({ host: azure, tls: { ssl } }).ssl).toBe(ssl);
    vi.stubEnv("NODE_TLS_REJECT_UNAUTHORIZED", "0");
    expect(failure(() => login.prepare({ host: azure, tls: { ssl } })).code).toBe("INSECURE_CONNECTION");
    expect(failure(() => login.prepare({ host: azure, tls: { ssl: true } })).code).toBe("INSECURE_CONNECTION");
  });

  it("re-decides when a host list changes in place, and tells a list from the same text as one host", () => {
    const { login } = loginWith();
    const hosts = [azure, "b.postgres.database.azure.com"];
    expect(login.prepare({ host: hosts }).hosts).toEqual(hosts);
    hosts[1] = "b.postgres.database.usgovcloudapi.net";
    expect(failure(() => login.prepare({ host: hosts })).message).toMatch(/different clouds/);
    expect(login.prepare({ host: [`${azure},x`] }).hosts).toEqual([`${azure},x`]);
    expect(login.prepare({ host: `${azure},x` }).hosts).toEqual([azure, "x"]);
  });
});
