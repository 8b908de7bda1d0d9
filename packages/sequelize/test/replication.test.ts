// Read replication without a server: the per-replica settings that Sequelize v6 and v7 build from
// `replication: { read: [...], write: {...} }` are what their connection managers hand to the
// `beforeConnect` hook (v6: each replica's own config object, reused; v7: a fresh clone of it per
// connection). Each must get the scope of its own host's cloud and its own role.

import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { Sequelize as SequelizeV7 } from "@sequelize/core";
import { PostgresDialect } from "@sequelize/postgres";
import { Sequelize as SequelizeV6 } from "sequelize";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureEntraAuthentication } from "../src/index.js";

type Config = {
  username?: string | null;
  user?: string | null;
  password?: unknown;
  host?: string | null;
  ssl?: unknown;
};

const PUBLIC = "https://ossrdbms-aad.database.windows.net/.default";
const US_GOV = "https://ossrdbms-aad.database.usgovcloudapi.net/.default";
const CHINA = "https://ossrdbms-aad.database.chinacloudapi.cn/.default";
const write = { host: "primary.postgres.database.azure.com" };
const usGovReplica = { host: "replica.postgres.database.usgovcloudapi.net" };
const chinaReplica = { host: "replica.postgres.database.chinacloudapi.cn" };

/** A credential whose tokens say which scope they were issued for (in a claim, like `aud`). */
function scopeRecordingCredential() {
  return fakeCredential((scopes) => tokenFor({ ...alice, scp: [scopes].flat().join(" ") }));
}
const scopeOf = (password: unknown) =>
  JSON.parse(Buffer.from(String(password).split(".")[1]!, "base64url").toString()).scp as string;

let savedPgUser: string | undefined;
beforeEach(() => {
  savedPgUser = process.env.PGUSER;
  delete process.env.PGUSER;
});
afterEach(() => {
  if (savedPgUser !== undefined) process.env.PGUSER = savedPgUser;
});

describe("read replication with Sequelize v6", () => {
  it("gives each replica's config a token for its own host's cloud and its own role, on every connection", async () => {
    const sequelize = new SequelizeV6({
      dialect: "postgres",
      database: "app",
      dialectOptions: { ssl: { rejectUnauthorized: true } },
      replication: { write, read: [usGovReplica, { ...chinaReplica, username: "db-readers" }] },
    });
    const credential = scopeRecordingCredential();
    configureEntraAuthentication(sequelize, credential);
    // The objects v6's connection manager passes to the hook (connection-manager.js, initPools).
    const replication = (
      sequelize as unknown as { connectionManager: { config: { replication: { write: Config; read: Config[] } } } }
    ).connectionManager.config.replication;
    const runHooks = (config: Config) =>
      (sequelize as unknown as { runHooks(name: string, config: Config): Promise<void> }).runHooks(
        "beforeConnect",
        config,
      );
    for (let connection = 0; connection < 2; connection++) {
      for (const config of [replication.write, ...replication.read]) await runHooks(config);
      expect(scopeOf(replication.write.password)).toBe(PUBLIC);
      expect(scopeOf(replication.read[0]!.password)).toBe(US_GOV);
      expect(scopeOf(replication.read[1]!.password)).toBe(CHINA);
      expect(replication.write.username).toBe("alice@contoso.com");
      expect(replication.read[0]!.username).toBe("alice@contoso.com");
      expect(replication.read[1]!.username).toBe("db-readers"); // configured on that replica alone
    }
    expect(credential.calls).toHaveLength(3); // one per cloud, then cached
    await sequelize.close();
  });
});

describe("read replication with Sequelize v7", () => {
  it("gives each replica's settings a token for its own host's cloud and its own role", async () => {
    const sequelize = new SequelizeV7({
      dialect: PostgresDialect,
      database: "app",
      replication: { write, read: [usGovReplica, { ...chinaReplica, user: "db-readers" }] },
    });
    const credential = scopeRecordingCredential();
    configureEntraAuthentication(sequelize, credential);
    // v7 hands the hook a fresh clone of these for every connection (sequelize-typescript.js, connect).
    const { replication } = sequelize.options as unknown as { replication: { write: Config; read: Config[] } };
    const connect = async (settings: Config) => {
      const clone: Config = { ...settings, ssl: { rejectUnauthorized: true } }; // v7 passes the root ssl along
      await sequelize.hooks.runAsync("beforeConnect", clone as never);
      return clone;
    };
    const [w, r0, r1] = [
      await connect(replication.write),
      await connect(replication.read[0]!),
      await connect(replication.read[1]!),
    ];
    expect([scopeOf(w.password), scopeOf(r0.password), scopeOf(r1.password)]).toEqual([PUBLIC, US_GOV, CHINA]);
    expect([w.user, r0.user, r1.user]).toEqual(["alice@contoso.com", "alice@contoso.com", "db-readers"]);
    expect(w).not.toHaveProperty("username");
    expect(replication.read[1]!.user).toBe("db-readers"); // the settings themselves are not written to
    expect(credential.calls).toHaveLength(3);
    await sequelize.close();
  });
});
