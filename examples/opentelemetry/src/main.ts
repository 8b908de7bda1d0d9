// Example: a pg pool that logs in with Microsoft Entra ID, in a program with an OpenTelemetry SDK.
// The token cache reports through OpenTelemetry by itself: a span `EntraTokenCache.getToken`
// around every credential call (@azure/identity's spans nested under it), and the metrics
// `azure.postgresql_auth.token.*` (requests, cache hits, refresh failures, duration, time to
// expiry). Nothing here asks for them: registering the SDK (./telemetry.js) is all it takes.
//
// Configuration as in examples/pg: PGHOST, PGPORT, PGDATABASE, PGSSLROOTCERT; RUN_SECONDS keeps it
// working that long (a new physical connection every round).
import "./telemetry.js"; // first: the SDK must be registered before @azure/core-tracing is loaded
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { type EntraTokenProviderOptions, entraTokenProvider, getEntraRoleName } from "@azure/postgresql-auth-pg";
import pg from "pg";
import { shutdownTelemetry } from "./telemetry.js";

async function main(): Promise<void> {
  const host = process.env.PGHOST;
  if (!host) {
    console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
    process.exitCode = 2;
    return;
  }
  const credential = new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } });
  let tokenRequests = 0;
  const tokenOptions: EntraTokenProviderOptions = {
    host,
    onTokenEvent: (event) => {
      if (event.type === "credentialCall") tokenRequests++;
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
    const until = Date.now() + Number(process.env.RUN_SECONDS || 0) * 1000;
    let round = 0;
    do {
      const { rows } = await pool.query<{ user: string; pid: number }>(
        "select current_user as user, pg_backend_pid() as pid",
      );
      console.log(`round ${++round}: connected as ${rows[0]!.user} (backend ${rows[0]!.pid})`);
      if (Date.now() < until) await sleep(500);
    } while (Date.now() < until);
    console.log(`token requests: ${tokenRequests}`);
  } finally {
    await pool.end();
    await shutdownTelemetry(); // prints the metrics
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
  return shutdownTelemetry();
});
