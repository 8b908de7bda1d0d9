// The shared adapter conformance suite, run through Sequelize v7 (@sequelize/core) with configureEntraAuthentication.
import { describeAdapterConformance } from "@azure-postgresql-auth/test-support";
import { Sequelize as SequelizeV7 } from "@sequelize/core";
import { PostgresDialect } from "@sequelize/postgres";
import { configureEntraAuthentication } from "../../src/index.js";
import { authenticated, sequelizeTls } from "./sequelize-tls.js";

type HookConfig = Record<string, unknown>;

describeAdapterConformance({
  name: "Sequelize v7",
  async connect({ host, port, database, ca, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    const { ssl, sslmode } = sequelizeTls(tls, ca);
    const sequelize = new SequelizeV7({
      dialect: PostgresDialect,
      host,
      port,
      database,
      ...(username === undefined ? {} : { user: username }),
      logging: false,
      ...(ssl !== undefined && { ssl }),
      // A connection idle longer than retireAfterMs is evicted: the next query opens a new one.
      pool: retireAfterMs === undefined ? { max: 1 } : { max: 1, min: 0, idle: retireAfterMs / 10, evict: 50 },
    });
    configureEntraAuthentication(sequelize, credential, { allowInsecureLoopback, ...(sslmode && { sslmode }) });
    await authenticated(sequelize);
    return {
      async currentUser() {
        const [rows] = await sequelize.query("select current_user");
        return (rows as Array<{ current_user: string }>)[0]!.current_user;
      },
      close: () => sequelize.close(),
    };
  },
  setUp: (credential) =>
    configureEntraAuthentication(new SequelizeV7({ dialect: PostgresDialect }), credential as never),
  async passwordFor(credential, host) {
    const sequelize = new SequelizeV7({ dialect: PostgresDialect, host });
    configureEntraAuthentication(sequelize, credential);
    const config: HookConfig = { host };
    await sequelize.hooks.runAsync("beforeConnect", config as never);
    return config.password as string;
  },
  tlsTable: {},
});
