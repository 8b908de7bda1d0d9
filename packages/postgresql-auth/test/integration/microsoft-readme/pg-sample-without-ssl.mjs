// Microsoft's node-postgres README sample without its `ssl` line (code that relied on pg's default,
// no TLS), followed by one query that prints who we logged in as.
import { DefaultAzureCredential } from "@azure/identity";

const { entraTokenProvider } = await import("@azure/postgresql-auth");
const pg = await import("pg");
const credential = new DefaultAzureCredential();
const pool = new pg.Pool({
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE,
  user: process.env.PGUSER,
  password: entraTokenProvider(credential),
});

const { rows } = await pool.query("select current_user");
console.log(`current_user=${rows[0].current_user}`);
await pool.end();
