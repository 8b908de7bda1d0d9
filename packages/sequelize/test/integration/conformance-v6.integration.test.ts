// The shared adapter conformance suite, run through Sequelize v6 with configureEntraAuthentication.
// (One file per Sequelize version: @azure/identity keeps managed identity tokens per process, so
// each emulator gets its own process.)
import { describeAdapterConformance } from "@azure-postgresql-auth/test-support";
import { QueryTypes, Sequelize as SequelizeV6 } from "sequelize";
import { configureEntraAuthentication } from "../../src/index.js";
import { authenticated, sequelizeTls } from "./sequelize-tls.js";

type HookConfig = Record<string, unknown>;

describeAdapterConformance({
  name: "Sequelize v6",
  async connect({ host, port, database, ca, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    const { ssl, sslmode } = sequelizeTls(tls, ca);
    const sequelize = new SequelizeV6({
      dialect: "postgres",
      host,
      port,
      database,
      ...(username === undefined ? {} : { username }),
      logging: false,
      ...(ssl !== undefined && { dialectOptions: { ssl } }),
      // A connection idle longer than retireAfterMs is evicted: the next query opens a new one.
      pool: retireAfterMs === undefined ? { max: 1 } : { max: 1, min: 0, idle: retireAfterMs / 10, evict: 50 },
    });
    configureEntraAuthentication(sequelize, credential, { allowInsecureLoopback, ...(sslmode && { sslmode }) });
    await authenticated(sequelize);
    return {
      async currentUser() {
        const rows = await sequelize.query<{ current_user: string }>("select current_user", {
          type: QueryTypes.SELECT,
        });
        return rows[0]!.current_user;
      },
      close: () => sequelize.close(),
    };
  },
  setUp: (credential) => configureEntraAuthentication(new SequelizeV6({ dialect: "postgres" }), credential as never),
  async passwordFor(credential, host) {
    const sequelize = new SequelizeV6({ dialect: "postgres", host });
    configureEntraAuthentication(sequelize, credential);
    const config: HookConfig = { host };
    // runHooks is how v6's connection manager calls beforeConnect (untyped in v6).
    await (sequelize as unknown as { runHooks(name: string, config: HookConfig): Promise<void> }).runHooks(
      "beforeConnect",
      config,
    );
    return config.password as string;
  },
  tlsTable: {},
});
