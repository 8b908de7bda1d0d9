// Example: Sequelize (v6) logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE, and PGSSLROOTCERT if your server's CA is not in
// Node's trust store. The role name comes from the token (a user's upn, a managed identity's name)
// unless DB_ROLE names one, e.g. a group's role for group login. RUN_SECONDS keeps it working that long.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { configureEntraAuthentication } from "@azure/postgresql-auth-sequelize";
import { DataTypes, QueryTypes, Sequelize } from "sequelize";

const host = process.env.PGHOST;
if (!host) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}

const sequelize = new Sequelize({
  dialect: "postgres",
  host,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  ...(process.env.DB_ROLE ? { username: process.env.DB_ROLE } : {}),
  dialectOptions: {
    ssl: {
      rejectUnauthorized: true, // the server's certificate is always verified
      ...(process.env.PGSSLROOTCERT && { ca: readFileSync(process.env.PGSSLROOTCERT, "utf8") }),
    },
  },
  // A short idle timeout, so that this demo opens new physical connections as it goes on.
  pool: { max: 5, idle: 100, evict: 50 },
  logging: false,
});
// Before every new connection: a fresh (cached) token as the password, the role name as the user.
let tokenRequests = 0;
configureEntraAuthentication(sequelize, new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }), {
  onTokenEvent: (event) => void (event.type === "credentialCall" && tokenRequests++),
});

try {
  await sequelize.authenticate();
  const [who] = await sequelize.query<{ user: string }>("select current_user as user", { type: QueryTypes.SELECT });
  console.log(`connected as ${who!.user}`);

  // A model in a temporary table, to show ordinary Sequelize use over the Entra-authenticated connection.
  await sequelize.transaction(async (transaction) => {
    await sequelize.query("create temporary table notes (id serial primary key, body text not null)", { transaction });
    const Note = sequelize.define(
      "Note",
      { body: { type: DataTypes.TEXT, allowNull: false } },
      { tableName: "notes", timestamps: false },
    );
    await Note.create({ body: "written with an Entra ID token" }, { transaction });
    console.log(`notes in the table: ${await Note.count({ transaction })}`);
  });

  // Then keep working: a new physical connection every round, a fresh token when one is due.
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  while (Date.now() < until) {
    await sleep(500);
    const [row] = await sequelize.query<{ user: string; pid: number }>(
      "select current_user as user, pg_backend_pid() as pid",
      {
        type: QueryTypes.SELECT,
      },
    );
    console.log(`round ${++round}: connected as ${row!.user} (backend ${row!.pid})`);
  }
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await sequelize.close();
}
