// Example: Knex (pg client) logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE; PGSSLMODE (default verify-full) and PGSSLROOTCERT if
// your server's CA is not in Node's trust store. The role name comes from the token unless DB_ROLE
// names one. DefaultAzureCredential signs in with a managed identity on Azure, `az login` on a
// laptop, or the emulator's managed identity endpoint in tests. RUN_SECONDS keeps it working that long.
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { entraKnexConnection } from "@azure/postgresql-auth-knex";
import knex from "knex";

if (!process.env.PGHOST) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}
let tokenRequests = 0;

const db = knex({
  client: "pg",
  // An async connection provider: your settings plus the role name, the cached token, TLS that
  // verifies the certificate, and an expirationChecker so that Knex asks again before the token expires.
  connection: entraKnexConnection(new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }), {
    connection: {
      host: process.env.PGHOST,
      port: Number(process.env.PGPORT || 5432),
      database: process.env.PGDATABASE || "postgres",
    },
    ...(process.env.DB_ROLE && { username: process.env.DB_ROLE }),
    onTokenEvent: (event) => void (event.type === "credentialCall" && tokenRequests++),
  }),
  // A short idle timeout, so that this demo opens a new physical connection every round.
  pool: { min: 0, max: 5, idleTimeoutMillis: 100, reapIntervalMillis: 50 },
});

try {
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  do {
    const { rows } = await db.raw<{ rows: Array<{ user: string; pid: number }> }>(
      "select current_user as user, pg_backend_pid() as pid",
    );
    console.log(`round ${++round}: connected as ${rows[0]!.user} (backend ${rows[0]!.pid})`);
    if (Date.now() < until) await sleep(500);
  } while (Date.now() < until);
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await db.destroy();
}
