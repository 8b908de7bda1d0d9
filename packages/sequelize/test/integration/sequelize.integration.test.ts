// End-to-end: Sequelize v6 and v7 against a real PostgreSQL behind the emulator's TLS front.
import { Sequelize as SequelizeV7 } from "@sequelize/core";
import { PostgresDialect } from "@sequelize/postgres";
import { startEmulator, type Emulator } from "@azure/postgresql-auth-emulator";
import { DefaultAzureCredential } from "@azure/identity";
import { Sequelize as SequelizeV6, QueryTypes } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureEntraAuthentication } from "../../src/index.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  for (const [key, value] of Object.entries(emu.env)) process.env[key] = value;
  for (const key of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT"]) delete process.env[key];
  delete process.env.PGUSER; // the role name must come from the token, not from the environment
});
afterAll(async () => {
  await emu?.stop();
});

function v6(extra: Record<string, unknown> = {}): SequelizeV6 {
  return new SequelizeV6({
    dialect: "postgres",
    host: emu.host,
    port: emu.port,
    database: emu.database,
    logging: false,
    dialectOptions: { ssl: { ca: emu.ca, rejectUnauthorized: true } },
    pool: { max: 5 },
    ...extra,
  });
}

function v7(extra: Record<string, unknown> = {}): SequelizeV7 {
  return new SequelizeV7({
    dialect: PostgresDialect,
    host: emu.host,
    port: emu.port,
    database: emu.database,
    logging: false,
    ssl: { ca: emu.ca, rejectUnauthorized: true },
    ...extra,
  } as never);
}

async function currentUserV6(sequelize: SequelizeV6): Promise<string> {
  const rows = await sequelize.query<{ current_user: string }>("select current_user", { type: QueryTypes.SELECT });
  return rows[0]!.current_user;
}

describe("Sequelize v6", () => {
  it("logs in as the user (role from upn)", async () => {
    const sequelize = v6();
    configureEntraAuthentication(sequelize, emu.credential(emu.principals.user.name));
    try {
      await sequelize.authenticate();
      expect(await currentUserV6(sequelize)).toBe("alice@contoso.com");
    } finally {
      await sequelize.close();
    }
  });

  it("logs in as the managed identity through DefaultAzureCredential (role from xms_mirid), over several connections", async () => {
    const sequelize = v6();
    configureEntraAuthentication(sequelize, new DefaultAzureCredential());
    try {
      const users = await Promise.all(
        Array.from({ length: 5 }, () =>
          sequelize.transaction(async (t) => {
            const rows = await sequelize.query<{ u: string }>("select current_user as u, pg_sleep(0.05)", { type: QueryTypes.SELECT, transaction: t });
            return rows[0]!.u;
          }),
        ),
      );
      expect(new Set(users)).toEqual(new Set([emu.principals.managedIdentity.roleName]));
    } finally {
      await sequelize.close();
    }
  });

  it("group login: the username configured on the instance, with the member's token", async () => {
    const sequelize = v6({ username: emu.principals.group.roleName });
    configureEntraAuthentication(sequelize, emu.credential(emu.principals.user.name));
    try {
      await sequelize.authenticate();
      expect(await currentUserV6(sequelize)).toBe(emu.principals.group.roleName);
    } finally {
      await sequelize.close();
    }
  });
});

describe("Sequelize v7 (@sequelize/core)", () => {
  it("logs in as the user and as the managed identity", async () => {
    for (const [credential, role] of [
      [emu.credential(emu.principals.user.name), "alice@contoso.com"],
      [new DefaultAzureCredential(), emu.principals.managedIdentity.roleName],
    ] as const) {
      const sequelize = v7();
      configureEntraAuthentication(sequelize, credential);
      try {
        await sequelize.authenticate();
        const [rows] = await sequelize.query("select current_user");
        expect((rows as Array<{ current_user: string }>)[0]!.current_user).toBe(role);
      } finally {
        await sequelize.close();
      }
    }
  });
});
