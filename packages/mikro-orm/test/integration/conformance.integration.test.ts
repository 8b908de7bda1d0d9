// The shared adapter conformance suite, run through MikroORM 6 with getEntraMikroOrmOptions: the
// README's program (`MikroORM.init({ ...options, dbName })`), TLS verified against the emulator's
// CA through the adapter's own sslrootcert setting, one connection per MikroORM instance (a Knex
// pool of at most one connection).
import { describeAdapterConformance, sslmodeSettingsFor } from "@azure-postgresql-auth/test-support";
import { MikroORM } from "@mikro-orm/postgresql";
import { getEntraMikroOrmOptions } from "../../src/index.js";

describeAdapterConformance({
  name: "MikroORM",
  async connect({ host, port, database, caFile, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    // MikroORM.init connects at once (and checks the connection on it).
    const orm = await MikroORM.init({
      ...(await getEntraMikroOrmOptions(credential, {
        host,
        ...sslmodeSettingsFor(tls, caFile),
        ...(username === undefined ? {} : { username }),
        allowInsecureLoopback,
      })),
      port,
      dbName: database,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      pool: { min: 0, max: 1, ...(retireAfterMs === undefined ? {} : { maxConnectionLifetimeMillis: retireAfterMs }) },
    });
    return {
      async currentUser() {
        const rows = (await orm.em.getConnection().execute("select current_user")) as Array<{ current_user: string }>;
        return rows[0]!.current_user;
      },
      close: () => orm.close(true),
    };
  },
  // getEntraMikroOrmOptions checks its arguments before it returns its promise: it throws at once.
  setUp: (credential) => getEntraMikroOrmOptions(credential as never),
  // MikroORM calls the password function with no host; the host is bound at set-up. (An explicit
  // username, so the set-up itself asks for no token.)
  async passwordFor(credential, host) {
    const options = await getEntraMikroOrmOptions(credential, { host, username: "x" });
    return (await options.password()).password;
  },
  tlsTable: {
    cannotExpress: {
      // The adapter returns driverOptions.connection.ssl; one set over it afterwards is not seen by
      // the password function (MikroORM calls it with no arguments).
      "ssl: false": "the adapter sets MikroORM's driverOptions.connection.ssl itself",
      "rejectUnauthorized: false": "the adapter sets MikroORM's driverOptions.connection.ssl itself",
    },
  },
});
