// Read replication end to end: Sequelize v6 and v7 with `replication: { read: [...], write: {...} }`
// against two host names of the emulator (`localhost` and `127.0.0.1`, both on its certificate).
// Both versions run the `beforeConnect` hook for every replica connection with that replica's own
// settings (v6: the replica's config object, the same one each time; v7: a fresh clone of it), so
// each replica gets a token for its own host and its own role: here the write server and replica 1
// log in as the user (role from the token), replica 2 as a group the user belongs to (a role
// configured on that replica alone).
import { setTimeout as sleep } from "node:timers/promises";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { Sequelize as SequelizeV7 } from "@sequelize/core";
import { PostgresDialect } from "@sequelize/postgres";
import { QueryTypes, Sequelize as SequelizeV6 } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureEntraAuthentication } from "../../src/index.js";

const TOKEN_LIFETIME_SECONDS = 4; // exp is in whole seconds: 3 to 4 s, handed out until its last quarter
let emu: Emulator;
let savedPgUser: string | undefined;
beforeAll(async () => {
  emu = await startEmulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
  savedPgUser = process.env.PGUSER;
  delete process.env.PGUSER; // the role name must come from the token or the replica's settings
});
afterAll(async () => {
  if (savedPgUser !== undefined) process.env.PGUSER = savedPgUser;
  await emu?.stop();
});

type Seen = { host: string; user: string; hasPassword: boolean };

/** Records what each connection was opened with (host and user; never the password itself). */
function recordConnections(seen: Seen[], userField: "username" | "user") {
  return async (config: Record<string, unknown>) => {
    seen.push({
      host: String(config.host),
      user: String(config[userField]),
      hasPassword: typeof config.password === "string" && config.password.length > 0,
    });
  };
}

const servers = () => ({
  write: { host: "localhost", port: emu.port },
  replica1: { host: "127.0.0.1", port: emu.port },
  replica2: { host: "localhost", port: emu.port }, // with the group's role
});

/** Four reads at once (four new read connections, round robin over the replicas) and one write. */
async function useAllServers(read: () => Promise<string>, write: () => Promise<string>) {
  const reads = await Promise.all(Array.from({ length: 4 }, read));
  return { reads: reads.sort(), write: await write() };
}

const user = () => emu.principals.user.roleName; // alice@contoso.com
const group = () => emu.principals.group.roleName; // db-readers, alice is a member
/** Reads went to both replicas, each as its own role (how many to each is the pool's business), the write as the user. */
function expectUse({ reads, write }: { reads: string[]; write: string }) {
  expect(write).toBe(user());
  expect(new Set(reads)).toEqual(new Set([user(), group()]));
}

function expectEachServerItsOwnLogin(seen: Seen[]) {
  const { write, replica1 } = servers();
  expect(seen.every((s) => s.hasPassword)).toBe(true);
  // Both host names were used, each replica with its own role.
  expect(seen.filter((s) => s.host === replica1.host).map((s) => s.user)).toContain(user());
  expect(seen.filter((s) => s.host === write.host).map((s) => s.user)).toEqual(
    expect.arrayContaining([user(), group()]),
  );
  expect(seen.filter((s) => s.host === replica1.host).every((s) => s.user === user())).toBe(true);
}

describe("Sequelize v6 read replication", () => {
  it("gives every replica (two host names) a fresh token and its own role, across token expiry", async () => {
    const { write, replica1, replica2 } = servers();
    const sequelize = new SequelizeV6({
      dialect: "postgres",
      database: emu.database,
      replication: { write, read: [replica1, { ...replica2, username: group() }] },
      dialectOptions: { ssl: { ca: emu.ca, rejectUnauthorized: true } },
      pool: { max: 4, idle: 50, evict: 20 },
      logging: false,
    });
    configureEntraAuthentication(sequelize, emu.credential(emu.principals.user.name));
    const seen: Seen[] = [];
    sequelize.addHook("beforeConnect", recordConnections(seen, "username"));
    const read = async () => {
      const rows = await sequelize.query<{ u: string }>("select current_user as u, pg_sleep(0.1)", {
        type: QueryTypes.SELECT,
      });
      return rows[0]!.u;
    };
    const writeQuery = async () => {
      const rows = await sequelize.query<{ u: string }>("select current_user as u", {
        type: QueryTypes.SELECT,
        useMaster: true,
      });
      return rows[0]!.u;
    };
    emu.resetStats();
    try {
      expectUse(await useAllServers(read, writeQuery));
      await sleep(TOKEN_LIFETIME_SECONDS * 1000 + 500); // every token so far has expired, every connection closed (idle)
      expectUse(await useAllServers(read, writeQuery));
      expectEachServerItsOwnLogin(seen);
      const stats = emu.stats();
      expect(stats.logins.refused).toBe(0);
      expect(stats.logins.ok).toBe(seen.length);
      expect(seen.length).toBeGreaterThanOrEqual(10); // 4 reads + 1 write, twice (and the version check)
      expect(stats.tokenRequests.total).toBeGreaterThanOrEqual(2); // a new token after expiry
      expect(stats.tokenRequests.total).toBeLessThan(seen.length); // shared by the replicas (one scope)
    } finally {
      await sequelize.close();
    }
  });
});

describe("Sequelize v7 read replication", () => {
  it("gives every replica (two host names) a fresh token and its own role, across token expiry", async () => {
    const { write, replica1, replica2 } = servers();
    const sequelize = new SequelizeV7({
      dialect: PostgresDialect,
      database: emu.database,
      ssl: { ca: emu.ca, rejectUnauthorized: true },
      replication: { write, read: [replica1, { ...replica2, user: group() }] },
      pool: { max: 4, idle: 50, evict: 20 },
      logging: false,
    });
    configureEntraAuthentication(sequelize, emu.credential(emu.principals.user.name));
    const seen: Seen[] = [];
    sequelize.hooks.addListener("beforeConnect", recordConnections(seen, "user"));
    const read = async () => {
      const rows = await sequelize.query("select current_user as u, pg_sleep(0.1)", { type: QueryTypes.SELECT });
      return (rows as Array<{ u: string }>)[0]!.u;
    };
    const writeQuery = async () => {
      const rows = await sequelize.query("select current_user as u", { type: QueryTypes.SELECT, useMaster: true });
      return (rows as Array<{ u: string }>)[0]!.u;
    };
    emu.resetStats();
    try {
      expectUse(await useAllServers(read, writeQuery));
      await sleep(TOKEN_LIFETIME_SECONDS * 1000 + 500);
      expectUse(await useAllServers(read, writeQuery));
      expectEachServerItsOwnLogin(seen);
      const stats = emu.stats();
      expect(stats.logins.refused).toBe(0);
      expect(stats.logins.ok).toBe(seen.length);
      expect(seen.length).toBeGreaterThanOrEqual(10);
      expect(stats.tokenRequests.total).toBeGreaterThanOrEqual(2);
      expect(stats.tokenRequests.total).toBeLessThan(seen.length);
    } finally {
      await sequelize.close();
    }
  });
});
