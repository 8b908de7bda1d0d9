import { alice, fakeCredential, fakeJwt, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { Sequelize as SequelizeV7 } from "@sequelize/core";
import { PostgresDialect } from "@sequelize/postgres";
import { Sequelize as SequelizeV6 } from "sequelize";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ConfigureEntraAuthenticationOptions,
  configureEntraAuthentication,
  EntraAuthError,
  type SequelizeBeforeConnectHook,
} from "../src/index.js";

type Config = {
  username?: string | null;
  user?: string | null;
  password?: unknown;
  host?: string | null;
  ssl?: unknown;
};

const tls = { ssl: { rejectUnauthorized: true } };

/** A hook object like the one Microsoft's package accepts: it records the listener. */
function hookTarget() {
  const listeners: Array<(config: Config) => Promise<void>> = [];
  const target: SequelizeBeforeConnectHook = { beforeConnect: (listener) => void listeners.push(listener) };
  return {
    target,
    listeners,
    run: async (config: Config) => {
      for (const l of listeners) await l(config);
      return config;
    },
  };
}

const managedIdentity = {
  appid: "5b0e8b2e-0000-4000-8000-000000000001",
  xms_mirid:
    "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api-identity",
};

/** Runs v6's beforeConnect hooks as its connection manager does (runHooks is untyped in v6). */
function runHooks(sequelize: SequelizeV6, config: Config): Promise<void> {
  return (sequelize as unknown as { runHooks(name: string, config: Config): Promise<void> }).runHooks(
    "beforeConnect",
    config,
  );
}

let savedPgUser: string | undefined;
beforeEach(() => {
  savedPgUser = process.env.PGUSER;
  delete process.env.PGUSER;
});
afterEach(() => {
  if (savedPgUser !== undefined) process.env.PGUSER = savedPgUser;
});

describe("configureEntraAuthentication with a hook object", () => {
  it("sets username and password for each connection", async () => {
    const accessToken = tokenFor(alice);
    const { target, run } = hookTarget();
    configureEntraAuthentication(
      target,
      fakeCredential(() => accessToken),
    );
    expect(await run({})).toEqual({ username: "alice@contoso.com", password: accessToken.token });
  });

  it("honours the scope option and the host's cloud (Microsoft's version ignores both)", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const a = hookTarget();
    configureEntraAuthentication(a.target, credential);
    await a.run({ host: "db.postgres.database.usgovcloudapi.net" });
    const b = hookTarget();
    configureEntraAuthentication(b.target, credential, { scope: "api://custom/.default" });
    await b.run({ host: "db.postgres.database.usgovcloudapi.net" });
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ["api://custom/.default"],
    ]);
  });

  it("role name order: username option, configured name, token, fallbackUsername, PGUSER, appid", async () => {
    const cases: Array<[Record<string, unknown>, object, Config, string]> = [
      [alice, { username: "explicit" }, { username: "configured" }, "explicit"],
      [alice, {}, { username: "db-readers" }, "db-readers"],
      [alice, {}, {}, "alice@contoso.com"],
      [managedIdentity, { fallbackUsername: "fb" }, {}, "orders-api-identity"],
      [{ appid: "app-guid" }, { fallbackUsername: "fb" }, {}, "fb"],
      [{ appid: "app-guid" }, {}, {}, "app-guid"],
    ];
    for (const [claims, options, config, expected] of cases) {
      const { target, run } = hookTarget();
      configureEntraAuthentication(
        target,
        fakeCredential(() => tokenFor(claims)),
        options,
      );
      expect((await run({ ...config })).username, JSON.stringify({ claims, options, config })).toBe(expected);
    }
    process.env.PGUSER = "from-pguser";
    const { target, run } = hookTarget();
    configureEntraAuthentication(
      target,
      fakeCredential(() => tokenFor({ appid: "app-guid" })),
    );
    expect((await run({})).username).toBe("from-pguser");
  });

  it("leaves the config untouched when the token cannot be had", async () => {
    const { target, run } = hookTarget();
    configureEntraAuthentication(
      target,
      fakeCredential(() => null),
    );
    const config: Config = { username: "keep", password: "keep" };
    await expect(run(config)).rejects.toMatchObject({ code: "TOKEN_ACQUISITION_FAILED" });
    expect(config).toEqual({ username: "keep", password: "keep" });
  });

  it("refuses bad input with typed errors", () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const codeOf = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        expect(EntraAuthError.isInstance(err)).toBe(true);
        return (err as EntraAuthError).code;
      }
      return "no error";
    };
    expect(codeOf(() => configureEntraAuthentication({} as never, credential))).toBe("INVALID_OPTION");
    expect(codeOf(() => configureEntraAuthentication(null as never, credential))).toBe("INVALID_OPTION");
    expect(() => configureEntraAuthentication({} as never, credential)).toThrowError(
      /the first argument has no beforeConnect hook API\. Pass your Sequelize instance/,
    );
    expect(codeOf(() => configureEntraAuthentication(hookTarget().target, undefined as never))).toBe(
      "CREDENTIAL_REQUIRED",
    );
    expect(codeOf(() => configureEntraAuthentication(hookTarget().target, credential, { scope: "" }))).toBe(
      "INVALID_SCOPE",
    );
    expect(codeOf(() => configureEntraAuthentication(hookTarget().target, credential, { username: "" }))).toBe(
      "INVALID_OPTION",
    );
    expect(() => configureEntraAuthentication(hookTarget().target, null as never)).toThrowError(
      /credential is required/,
    );
  });

  it.each([
    ["options: null", null, /options argument must be an object/],
    ["tenantId: 72", { tenantId: 72 }, /tenantId option must be a non-empty string/],
    [
      "timeoutMs: 2**31",
      { timeoutMs: 2 ** 31 },
      /timeoutMs option must be a number of milliseconds above 0 and at most 2147483647/,
    ],
    ["cache: { ttl: 5 }", { cache: { ttl: 5 } }, /unknown setting "ttl"/],
    ["fallbackUsername: 7", { fallbackUsername: 7 }, /fallbackUsername option must be a non-empty string/],
  ])("refuses %s at set-up with INVALID_OPTION and registers no hook", (_what, options, message) => {
    const { target, listeners } = hookTarget();
    expect(() =>
      configureEntraAuthentication(
        target,
        fakeCredential(() => tokenFor(alice)),
        options as never,
      ),
    ).toThrowError(expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringMatching(message) }));
    expect(listeners).toHaveLength(0);
  });

  it("refuses a non-JWT token when the role name must come from it", async () => {
    const { target, run } = hookTarget();
    configureEntraAuthentication(
      target,
      fakeCredential(() => ({ token: "opaque", expiresOnTimestamp: Date.now() + 60_000 })),
    );
    await expect(run({})).rejects.toMatchObject({ code: "TOKEN_NOT_JWT" });
  });
});

describe("configureEntraAuthentication with Sequelize v6", () => {
  it("registers on a real instance and sets config.username", async () => {
    const sequelize = new SequelizeV6({
      dialect: "postgres",
      host: "db.postgres.database.azure.com",
      database: "app",
      dialectOptions: tls,
    });
    const accessToken = tokenFor(alice);
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => accessToken),
    );
    const config = sequelize.config as unknown as Config;
    await runHooks(sequelize, config);
    expect(config.username).toBe("alice@contoso.com");
    expect(config.password).toBe(accessToken.token);
    await sequelize.close();
  });

  it("does not mistake its own earlier write on the shared config for the application's choice", async () => {
    const sequelize = new SequelizeV6({ dialect: "postgres", database: "app", dialectOptions: tls });
    let claims: Record<string, unknown> = alice;
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => ({ token: fakeJwt(claims), expiresOnTimestamp: Date.now() + 60_000 })),
      { cache: false },
    );
    const config = sequelize.config as unknown as Config;
    await runHooks(sequelize, config);
    expect(config.username).toBe("alice@contoso.com");
    claims = managedIdentity; // e.g. the credential now signs in as another principal
    await runHooks(sequelize, config);
    expect(config.username).toBe("orders-api-identity");
    await sequelize.close();
  });

  it("keeps a user name the application configured (group login) across connections", async () => {
    const sequelize = new SequelizeV6({
      dialect: "postgres",
      database: "app",
      username: "db-readers",
      dialectOptions: tls,
    });
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => tokenFor(alice)),
    );
    const config = sequelize.config as unknown as Config;
    for (let i = 0; i < 3; i++) {
      await runHooks(sequelize, config);
      expect(config.username).toBe("db-readers");
    }
    config.username = "db-writers"; // the application changes its mind later
    await runHooks(sequelize, config);
    expect(config.username).toBe("db-writers");
    await sequelize.close();
  });
});

describe("configureEntraAuthentication with Sequelize v7", () => {
  it("registers on a real instance and sets config.user (not username)", async () => {
    const sequelize = new SequelizeV7({
      dialect: PostgresDialect,
      host: "db.postgres.database.usgovcloudapi.net",
      database: "app",
    });
    const credential = fakeCredential(() => tokenFor(managedIdentity));
    configureEntraAuthentication(sequelize, credential);
    const config: Config = { host: "db.postgres.database.usgovcloudapi.net", ...tls };
    await sequelize.hooks.runAsync("beforeConnect", config as never);
    expect(config.user).toBe("orders-api-identity");
    expect(config).not.toHaveProperty("username");
    expect(credential.calls[0]?.scopes).toEqual(["https://ossrdbms-aad.database.usgovcloudapi.net/.default"]);
    await sequelize.close();
  });

  it("registers through sequelize.hooks, not the deprecated legacy hook methods", async () => {
    const sequelize = new SequelizeV7({ dialect: PostgresDialect, database: "app" });
    const legacy = vi.spyOn(sequelize, "beforeConnect");
    const legacyAddHook = vi.spyOn(sequelize, "addHook");
    const addListener = vi.spyOn(sequelize.hooks, "addListener");
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => tokenFor(alice)),
    );
    expect(addListener).toHaveBeenCalledWith("beforeConnect", expect.any(Function));
    expect(legacy).not.toHaveBeenCalled();
    expect(legacyAddHook).not.toHaveBeenCalled();
    await sequelize.close();
  });

  it("keeps a configured user (group login)", async () => {
    const sequelize = new SequelizeV7({ dialect: PostgresDialect, database: "app", user: "db-readers" });
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => tokenFor(alice)),
    );
    const config: Config = { user: "db-readers", ...tls }; // v7 passes no host when none is configured
    await sequelize.hooks.runAsync("beforeConnect", config as never);
    expect(config.user).toBe("db-readers");
    await sequelize.close();
  });
});

describe("configureEntraAuthentication: the core's TLS rule", () => {
  const azure = "db.postgres.database.azure.com";
  let savedMode: string | undefined;
  beforeEach(() => {
    savedMode = process.env.PGSSLMODE;
    delete process.env.PGSSLMODE;
  });
  afterEach(() => {
    if (savedMode === undefined) delete process.env.PGSSLMODE;
    else process.env.PGSSLMODE = savedMode;
  });

  it("v6: no dialectOptions.ssl gets verified TLS written back (pg would otherwise connect without TLS)", async () => {
    const sequelize = new SequelizeV6({ dialect: "postgres", host: azure, port: 5432, database: "app" });
    const accessToken = tokenFor(alice);
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => accessToken),
    );
    const config = sequelize.config as unknown as Config & { dialectOptions?: { ssl?: unknown } };
    await runHooks(sequelize, config);
    expect(config.dialectOptions?.ssl).toEqual({ rejectUnauthorized: true });
    expect(config.password).toBe(accessToken.token);
    await sequelize.close();
  });

  it("v6: PGSSLMODE=disable with no dialectOptions.ssl fails before any token is fetched, naming PGSSLMODE", async () => {
    process.env.PGSSLMODE = "disable";
    const sequelize = new SequelizeV6({ dialect: "postgres", host: azure, port: 5432, database: "app" });
    const credential = fakeCredential(() => tokenFor(alice));
    configureEntraAuthentication(sequelize, credential);
    const config = sequelize.config as unknown as Config;
    await expect(runHooks(sequelize, config)).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(
        /^configureEntraAuthentication refused to send an access token to db\.postgres\.database\.azure\.com:5432: the connection would not use TLS \(the PGSSLMODE environment variable is "disable"\).*only applies to a server on this machine/,
      ),
    });
    expect(config.password).toBeNull();
    expect(credential.calls).toHaveLength(0);
    await sequelize.close();
  });

  it.each([
    {
      name: "ssl: false, even with PGSSLMODE=verify-full",
      ssl: false,
      env: "verify-full",
      problem: /would not use TLS/,
    },
    { name: "rejectUnauthorized: false", ssl: { rejectUnauthorized: false }, env: undefined, problem: /not verify/ },
  ])("v6: dialectOptions $name is refused before any token is fetched", async ({ ssl, env, problem }) => {
    if (env !== undefined) process.env.PGSSLMODE = env;
    const sequelize = new SequelizeV6({ dialect: "postgres", host: azure, dialectOptions: { ssl } });
    const credential = fakeCredential(() => tokenFor(alice));
    configureEntraAuthentication(sequelize, credential);
    await expect(runHooks(sequelize, sequelize.config as unknown as Config)).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(problem),
    });
    expect(credential.calls).toHaveLength(0);
    await sequelize.close();
  });

  it.each([
    { ssl: false, env: "require" },
    { ssl: undefined, env: "disable" },
    { ssl: undefined, env: "no-verify" },
    { ssl: { rejectUnauthorized: false }, env: undefined },
  ])("v7: ssl $ssl with PGSSLMODE $env is refused before any token is fetched", async ({ ssl, env }) => {
    if (env !== undefined) process.env.PGSSLMODE = env;
    const sequelize = new SequelizeV7({ dialect: PostgresDialect, database: "app" });
    const credential = fakeCredential(() => tokenFor(alice));
    configureEntraAuthentication(sequelize, credential);
    const config: Config = { host: azure, ...(ssl === undefined ? {} : { ssl }) };
    await expect(sequelize.hooks.runAsync("beforeConnect", config as never)).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(ssl === undefined ? /PGSSLMODE environment variable/ : /Sequelize's ssl option/),
    });
    expect(config).not.toHaveProperty("password");
    expect(credential.calls).toHaveLength(0);
    await sequelize.close();
  });

  it("v7: no ssl gets the sslmode option's TLS (else PGSSLMODE's, else verify-full) written back", async () => {
    process.env.PGSSLMODE = "require";
    const sequelize = new SequelizeV7({ dialect: PostgresDialect, database: "app" });
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => tokenFor(alice)),
    );
    const config: Config = { host: azure };
    await sequelize.hooks.runAsync("beforeConnect", config as never);
    expect(config.ssl).toEqual({ rejectUnauthorized: true });
    const withCa = new SequelizeV7({ dialect: PostgresDialect, database: "app" });
    configureEntraAuthentication(
      withCa,
      fakeCredential(() => tokenFor(alice)),
      { sslmode: "verify-ca", sslrootcert: "system" },
    );
    const second: Config = { host: azure };
    await withCa.hooks.runAsync("beforeConnect", second as never);
    expect(second.ssl).toEqual({ rejectUnauthorized: true });
    await sequelize.close();
    await withCa.close();
  });

  /** A v7 instance with the hook and these options; `run` runs its beforeConnect hooks on a config. */
  function v7With(options: ConfigureEntraAuthenticationOptions) {
    const sequelize = new SequelizeV7({ dialect: PostgresDialect, database: "app" });
    const accessToken = tokenFor(alice);
    configureEntraAuthentication(
      sequelize,
      fakeCredential(() => accessToken),
      options,
    );
    return {
      sequelize,
      accessToken,
      run: (config: Config) => sequelize.hooks.runAsync("beforeConnect", config as never),
    };
  }

  it("allowUnverifiedTls lets rejectUnauthorized: false through, never ssl: false", async () => {
    const { sequelize, accessToken, run } = v7With({ allowUnverifiedTls: true });
    const config: Config = { host: azure, ssl: { rejectUnauthorized: false } };
    await run(config);
    expect(config.password).toBe(accessToken.token);
    await expect(run({ host: azure, ssl: false })).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
    await sequelize.close();
  });

  it("allowInsecureLoopback lets a token go without TLS to this machine only", async () => {
    const { sequelize, accessToken, run } = v7With({ allowInsecureLoopback: true });
    for (const host of ["localhost", "127.0.0.1", "::1", "/var/run/postgresql"]) {
      const config: Config = { host, ssl: false };
      await run(config);
      expect(config.password).toBe(accessToken.token);
    }
    await expect(run({ host: "10.0.0.5", ssl: false })).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringContaining("allowInsecureLoopback only applies to a server on this machine"),
    });
    await sequelize.close();
    const withoutOptOut = hookTarget();
    configureEntraAuthentication(
      withoutOptOut.target,
      fakeCredential(() => tokenFor(alice)),
    );
    await expect(withoutOptOut.run({ host: "localhost", ssl: false })).rejects.toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringContaining("set the allowInsecureLoopback option to true"),
    });
  });

  it("refuses a non-boolean allowInsecureLoopback at set-up", () => {
    expect(() =>
      configureEntraAuthentication(
        hookTarget().target,
        fakeCredential(() => tokenFor(alice)),
        { allowInsecureLoopback: "yes" as never },
      ),
    ).toThrowError(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("allowInsecureLoopback option must be a boolean"),
      }),
    );
  });
});
