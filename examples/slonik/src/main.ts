// Example: Slonik 47 logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE; PGSSLMODE (default verify-full) and PGSSLROOTCERT if
// your server's CA is not in Node's trust store. The role name comes from the token unless PGUSER
// names one. DefaultAzureCredential signs in with a managed identity on Azure, `az login` on a
// laptop, or the emulator's managed identity endpoint in tests. RUN_SECONDS keeps it working that long.
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { createEntraDriverFactory } from "@azure/postgresql-auth-slonik";
import { createPgDriverFactory } from "@slonik/pg-driver";
import { createPool, sql } from "slonik";
import { z } from "zod";

if (!process.env.PGHOST) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}
let tokenRequests = 0;

// A URI without a password: the driver factory gives every new connection a fresh token, the role
// name (from the token, or the URI's user) and TLS that verifies the certificate.
const user = process.env.PGUSER ? `${encodeURIComponent(process.env.PGUSER)}@` : "";
const uri = `postgres://${user}${process.env.PGHOST}:${process.env.PGPORT || 5432}/${process.env.PGDATABASE || "postgres"}`;
const pool = await createPool(uri, {
  driverFactory: createEntraDriverFactory(
    createPgDriverFactory(),
    new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }),
    {
      onTokenEvent: (event) => void (event.type === "credentialCall" && tokenRequests++),
    },
  ),
  maximumPoolSize: 5,
  idleTimeout: 100, // short, so that this demo opens a new physical connection every round
});

try {
  const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
  let round = 0;
  do {
    const who = await pool.one(
      sql.type(z.object({ user: z.string(), pid: z.number() }))`select current_user as user, pg_backend_pid() as pid`,
    );
    console.log(`round ${++round}: connected as ${who.user} (backend ${who.pid})`);
    if (Date.now() < until) await sleep(500);
  } while (Date.now() < until);
  console.log(`token requests: ${tokenRequests}`);
} finally {
  await pool.end();
}
