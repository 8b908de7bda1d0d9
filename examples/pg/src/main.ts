// Example: a pg pool that logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration comes from the standard PostgreSQL variables: PGHOST, PGPORT, PGDATABASE, and
// PGSSLROOTCERT if your server's CA is not in Node's trust store. The role name comes from the
// token (a user's upn, a managed identity's name); PGUSER is used only when the token names none
// (see "Which role name is used" in the README). DefaultAzureCredential signs in with whatever
// the environment offers: a managed identity on Azure, `az login` on a laptop, or the emulator's
// managed identity endpoint in tests. RUN_SECONDS keeps it working that long.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { type EntraTokenProviderOptions, entraTokenProvider, getEntraRoleName } from "@azure/postgresql-auth-pg";
import pg from "pg";

const credential = new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } });
const host = process.env.PGHOST;
if (!host) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}

// Both share one cached token: the role name lookup and every new connection.
let tokenRequests = 0;
const tokenOptions: EntraTokenProviderOptions = {
  host,
  onTokenEvent: (event) => {
    if (event.type !== "credentialCall") return;
    tokenRequests++;
    console.log("token: requested from the credential");
  },
};
const pool = new pg.Pool({
  host,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  user: process.env.PGUSER || (await getEntraRoleName(credential, tokenOptions)),
  password: entraTokenProvider(credential, tokenOptions),
  ssl: {
    rejectUnauthorized: true, // the server's certificate is always verified
    ...(process.env.PGSSLROOTCERT && { ca: readFileSync(process.env.PGSSLROOTCERT, "utf8") }),
  },
  max: 5,
  idleTimeoutMillis: 100, // short, so that this demo opens new physical connections as it goes on
});

try {
  // Five queries at once: five connections, one token request.
  const results = await Promise.all(
    Array.from({ length: 5 }, () =>
      pool.query<{ user: string; pid: number }>("select current_user as user, pg_backend_pid() as pid"),
    ),
  );
  const sessions = new Set(results.map((r) => r.rows[0]!.pid));
  console.log(`connected as ${results[0]!.rows[0]!.user} on ${sessions.size} backend session(s)`);

  // Then keep working: a new physical connection every round, a fresh token when one is due.
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  while (Date.now() < until) {
    await sleep(500);
    const { rows } = await pool.query<{ user: string; pid: number }>(
      "select current_user as user, pg_backend_pid() as pid",
    );
    console.log(`round ${++round}: connected as ${rows[0]!.user} (backend ${rows[0]!.pid})`);
  }
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await pool.end();
}
