// The code samples of Microsoft's @azure/postgresql-auth 1.0.0-beta.1 README, unmodified but for
// the credential, must type-check and work against this package. (They also run against a real
// server in the emulator's end-to-end tests.)
import type { TokenCredential } from "@azure/postgresql-auth-core";
import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import type * as MicrosoftTypes from "ms-postgresql-auth";
import { Sequelize } from "sequelize";
import { describe, expect, it, vi } from "vitest";
import * as ours from "../src/index.js";

describe("Microsoft's README samples", () => {
  it("pg: entraTokenProvider(credential) is the pool's password function", async () => {
    const accessToken = tokenFor(alice);
    const credential: TokenCredential = fakeCredential(() => accessToken);
    const { entraTokenProvider } = await import("@azure/postgresql-auth");
    const pg = await import("pg");
    const pool = new pg.Pool({
      host: process.env.PGHOST,
      port: Number(process.env.PGPORT || 5432),
      database: process.env.PGDATABASE,
      user: process.env.PGUSER,
      password: entraTokenProvider(credential),
      ssl: { rejectUnauthorized: true },
    });
    await expect(entraTokenProvider(credential)()).resolves.toBe(accessToken.token);
    await pool.end();
  });

  it("Sequelize: configureEntraAuthentication registers a hook that sets username and password", async () => {
    const accessToken = tokenFor(alice);
    const credential: TokenCredential = fakeCredential(() => accessToken);
    const { configureEntraAuthentication } = await import("@azure/postgresql-auth");
    // The sample sets no ssl: the hook gives pg verified TLS (from PGSSLMODE, which
    // `azure-postgresql-emulator run` sets to verify-full, else verify-full anyway).
    const sample = () =>
      new Sequelize({
        dialect: "postgres",
        host: process.env.PGHOST,
        port: Number(process.env.PGPORT || 5432),
        database: process.env.PGDATABASE,
      });
    const runHooks = (sequelize: Sequelize, config: object) =>
      (sequelize as unknown as { runHooks(n: string, c: object): Promise<void> }).runHooks("beforeConnect", config);
    const sequelize = sample();
    configureEntraAuthentication(sequelize, credential);
    const config = sequelize.config as unknown as { username?: string; password?: string; dialectOptions?: object };
    await runHooks(sequelize, config);
    expect(config).toMatchObject({
      username: "alice@contoso.com",
      password: accessToken.token,
      dialectOptions: { ssl: { rejectUnauthorized: true } },
    });
    await sequelize.close();
    vi.stubEnv("PGSSLMODE", "disable"); // no TLS: refused before any token is fetched
    const plaintext = sample();
    configureEntraAuthentication(plaintext, credential);
    await expect(runHooks(plaintext, plaintext.config)).rejects.toMatchObject({ code: "INSECURE_CONNECTION" });
    vi.unstubAllEnvs();
    await plaintext.close();
  });

  it("accepts every value Microsoft's option and hook types accept (tsc), with the same meaning", async () => {
    const options: MicrosoftTypes.EntraTokenProviderOptions = { scope: ["x/.default"] };
    const sequelizeOptions: MicrosoftTypes.ConfigureEntraAuthenticationOptions = { fallbackUsername: "app" };
    const listeners: Array<(config: Record<string, unknown>) => Promise<void>> = [];
    const hook: MicrosoftTypes.SequelizeBeforeConnectHook = {
      beforeConnect: (listener) => void listeners.push(listener as never),
    };
    // A token whose claims name no role: the fallbackUsername option decides.
    const accessToken = tokenFor({ oid: alice.oid });
    const credential = fakeCredential(() => accessToken);

    await expect(ours.entraTokenProvider(credential, options)()).resolves.toBe(accessToken.token);
    expect(credential.calls.map((call) => call.scopes)).toEqual([["x/.default"]]);

    ours.configureEntraAuthentication(hook, credential, sequelizeOptions);
    expect(listeners).toHaveLength(1);
    const config: Record<string, unknown> = { host: "localhost" };
    await listeners[0]!(config);
    expect(config).toMatchObject({ username: "app", password: accessToken.token });
  });
});
