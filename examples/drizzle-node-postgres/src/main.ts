// Example: Drizzle ORM on node-postgres logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE, and PGSSLROOTCERT if your server's CA is not in
// Node's trust store. The role name comes from the token unless PGUSER names one.
// DefaultAzureCredential signs in with a managed identity on Azure, `az login` on a laptop, or the
// emulator's managed identity endpoint in tests. RUN_SECONDS keeps it working that long.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { type EntraTokenProviderOptions, entraTokenProvider, getEntraRoleName } from "@azure/postgresql-auth-pg";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";

const host = process.env.PGHOST;
if (!host) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}
const credential = new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } });
let tokenRequests = 0;
const tokenOptions: EntraTokenProviderOptions = {
  host,
  onTokenEvent: (event) => void (event.type === "credentialCall" && tokenRequests++),
};

// Drizzle uses your pg pool as it is: pg calls the password function for every new connection.
const pool = new pg.Pool({
  host,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  user: process.env.PGUSER || (await getEntraRoleName(credential, tokenOptions)),
  password: entraTokenProvider(credential, tokenOptions),
  ssl: {
    rejectUnauthorized: true, // always verify the server's certificate
    ...(process.env.PGSSLROOTCERT && { ca: readFileSync(process.env.PGSSLROOTCERT, "utf8") }),
  },
  max: 5,
  idleTimeoutMillis: 100, // short, so that this demo opens a new physical connection every round
});
const db = drizzle({ client: pool });

try {
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  do {
    const { rows } = await db.execute<{ user: string; pid: number }>(
      sql`select current_user as user, pg_backend_pid() as pid`,
    );
    console.log(`round ${++round}: connected as ${rows[0]!.user} (backend ${rows[0]!.pid})`);
    if (Date.now() < until) await sleep(500);
  } while (Date.now() < until);
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await pool.end();
}
