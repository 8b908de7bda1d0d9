// Example: a pg pool that logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration comes from the standard PostgreSQL variables: PGHOST, PGPORT, PGDATABASE. The role
// name comes from the token (a user's upn, a managed identity's name); PGUSER is used only when the
// token names none (see "Which role name is used" in the README). DefaultAzureCredential
// signs in with whatever the environment offers: a managed identity on Azure, `az login` on a
// laptop, or the emulator's managed identity endpoint in tests.
import { DefaultAzureCredential } from "@azure/identity";
import { entraTokenProvider, getEntraRoleName, type EntraTokenProviderOptions } from "@azure/postgresql-auth-pg";
import pg from "pg";

const credential = new DefaultAzureCredential();
const host = process.env.PGHOST;
if (!host) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}

// Both share one cached token: the role name lookup and every new connection.
const tokenOptions: EntraTokenProviderOptions = {
  host,
  onTokenEvent: (event) => {
    if (event.type === "credentialCall") console.log("token: requested from the credential");
  },
};
const pool = new pg.Pool({
  host,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  user: await getEntraRoleName(credential, tokenOptions),
  password: entraTokenProvider(credential, tokenOptions),
  ssl: { rejectUnauthorized: true }, // the server's certificate is always verified
  max: 5,
});

try {
  // Five queries at once: five connections, one token request.
  const results = await Promise.all(
    Array.from({ length: 5 }, () => pool.query<{ user: string; pid: number }>("select current_user as user, pg_backend_pid() as pid")),
  );
  const sessions = new Set(results.map((r) => r.rows[0]!.pid));
  console.log(`connected as ${results[0]!.rows[0]!.user} on ${sessions.size} backend session(s)`);
} finally {
  await pool.end();
}
