// The node-postgres sample of Microsoft's @azure/postgresql-auth 1.0.0-beta.1 README, unmodified,
// followed by one query that prints who we logged in as.
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
  ssl: { rejectUnauthorized: true },
});

const { rows } = await pool.query("select current_user");
console.log(`current_user=${rows[0].current_user}`);
await pool.end();
