// The Sequelize sample of Microsoft's @azure/postgresql-auth 1.0.0-beta.1 README, unmodified,
// followed by one query that prints who we logged in as.
import { DefaultAzureCredential } from "@azure/identity";

const { configureEntraAuthentication } = await import("@azure/postgresql-auth");
const { Sequelize } = await import("sequelize");
const sequelize = new Sequelize({
  dialect: "postgres",
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE,
});
const credential = new DefaultAzureCredential();
configureEntraAuthentication(sequelize, credential);
await sequelize.authenticate();

const [rows] = await sequelize.query("select current_user");
console.log(`current_user=${rows[0].current_user}`);
await sequelize.close();
