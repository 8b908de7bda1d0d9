// Example: Sequelize v7 (@sequelize/core + @sequelize/postgres) logs in to Azure Database for
// PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE, and PGSSLROOTCERT if your server's CA is not in
// Node's trust store. The role name comes from the token (a managed identity's name, a user's
// upn) unless DB_ROLE names one. RUN_SECONDS keeps it working that long.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { configureEntraAuthentication } from "@azure/postgresql-auth-sequelize";
import { QueryTypes, Sequelize } from "@sequelize/core";
import { PostgresDialect } from "@sequelize/postgres";

const host = process.env.PGHOST;
if (!host) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}

const sequelize = new Sequelize({
  dialect: PostgresDialect,
  host,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  ...(process.env.DB_ROLE && { user: process.env.DB_ROLE }),
  ssl: {
    rejectUnauthorized: true, // always verify the server's certificate
    ...(process.env.PGSSLROOTCERT && { ca: readFileSync(process.env.PGSSLROOTCERT, "utf8") }),
  },
  // A short idle timeout, so that this demo opens a new physical connection every round.
  pool: { max: 5, idle: 100, evict: 50 },
  logging: false,
});
// Before every new connection: a fresh (cached) token as the password, the role name as the user.
let tokenRequests = 0;
configureEntraAuthentication(sequelize, new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }), {
  onTokenEvent: (event) => void (event.type === "credentialCall" && tokenRequests++),
});

try {
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  do {
    const [who] = await sequelize.query<{ user: string; pid: number }>(
      "select current_user as user, pg_backend_pid() as pid",
      {
        type: QueryTypes.SELECT,
      },
    );
    console.log(`round ${++round}: connected as ${who!.user} (backend ${who!.pid})`);
    if (Date.now() < until) await sleep(500);
  } while (Date.now() < until);
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await sequelize.close();
}
