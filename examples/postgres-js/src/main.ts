// Example: postgres.js logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE; PGSSLMODE (default verify-full) and PGSSLROOTCERT if
// your server's CA is not in Node's trust store. The role name comes from the token unless PGUSER
// names one. DefaultAzureCredential signs in with a managed identity on Azure, `az login` on a
// laptop, or the emulator's managed identity endpoint in tests. RUN_SECONDS keeps it working that long.
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { getEntraPostgresOptions } from "@azure/postgresql-auth-postgres";
import postgres from "postgres";

if (!process.env.PGHOST) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}
let tokenRequests = 0;

// host, username (from the token), a password function (a fresh token for every new connection,
// with the host's cloud bound to it) and ssl that verifies the certificate.
const sql = postgres({
  ...(await getEntraPostgresOptions(new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }), {
    host: process.env.PGHOST,
    ...(process.env.PGUSER && { username: process.env.PGUSER }),
    onTokenEvent: (event) => void (event.type === "credentialCall" && tokenRequests++),
  })),
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  max: 5,
  idle_timeout: 0.1, // seconds; short, so that this demo opens a new physical connection every round
});

try {
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  do {
    const [who] = await sql<Array<{ user: string; pid: number }>>`select current_user as user, pg_backend_pid() as pid`;
    console.log(`round ${++round}: connected as ${who!.user} (backend ${who!.pid})`);
    if (Date.now() < until) await sleep(500);
  } while (Date.now() < until);
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await sql.end();
}
