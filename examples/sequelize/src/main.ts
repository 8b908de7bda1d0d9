// Example: Sequelize logs in to Azure Database for PostgreSQL with Microsoft Entra ID.
//
// Configuration: PGHOST, PGPORT, PGDATABASE. The role name comes from the token (a user's upn, a
// managed identity's name) unless DB_ROLE names one, e.g. a group's role for group login.
import { DefaultAzureCredential } from "@azure/identity";
import { configureEntraAuthentication } from "@azure/postgresql-auth-sequelize";
import { DataTypes, QueryTypes, Sequelize } from "sequelize";

const host = process.env.PGHOST;
if (!host) {
  console.error("Set PGHOST (and PGDATABASE) to your server, e.g. myserver.postgres.database.azure.com");
  process.exit(2);
}

const sequelize = new Sequelize({
  dialect: "postgres",
  host,
  port: Number(process.env.PGPORT || 5432),
  database: process.env.PGDATABASE || "postgres",
  ...(process.env.DB_ROLE ? { username: process.env.DB_ROLE } : {}),
  dialectOptions: { ssl: { rejectUnauthorized: true } }, // the server's certificate is always verified
  logging: false,
});
configureEntraAuthentication(sequelize, new DefaultAzureCredential());

try {
  await sequelize.authenticate();
  const [who] = await sequelize.query<{ user: string }>("select current_user as user", { type: QueryTypes.SELECT });
  console.log(`connected as ${who!.user}`);

  // A model in a temporary table, to show ordinary Sequelize use over the Entra-authenticated connection.
  await sequelize.transaction(async (transaction) => {
    await sequelize.query("create temporary table notes (id serial primary key, body text not null)", { transaction });
    const Note = sequelize.define("Note", { body: { type: DataTypes.TEXT, allowNull: false } }, { tableName: "notes", timestamps: false });
    await Note.create({ body: "written with an Entra ID token" }, { transaction });
    console.log(`notes in the table: ${await Note.count({ transaction })}`);
  });
} finally {
  await sequelize.close();
}
