// The shared adapter conformance suite, run through Slonik 47 with createEntraDriverFactory: the
// README's program (`createPool(uri, { driverFactory })`), the role name for group login in the
// URI (the adapter's documented way), TLS verified against the emulator's CA through the adapter's
// own sslrootcert option, one pool connection per pool (maximumPoolSize: 1).
import { describeAdapterConformance, sslmodeSettingsFor, sslValueFor } from "@azure-postgresql-auth/test-support";
import { createPgDriverFactory } from "@slonik/pg-driver";
import { createPool, sql } from "slonik";
import { createEntraDriverFactory, type SlonikDriverFactoryLike } from "../../src/index.js";

describeAdapterConformance({
  name: "Slonik",
  async connect({ host, port, database, caFile, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    const user = username === undefined ? "" : `${encodeURIComponent(username)}@`;
    const ssl = sslValueFor(tls);
    // createPool sets the pg driver up (it reads type ids on a short connection of its own).
    const pool = await createPool(`postgres://${user}${host}:${port}/${database}`, {
      driverFactory: createEntraDriverFactory(createPgDriverFactory(), credential, {
        ...sslmodeSettingsFor(tls, caFile),
        allowInsecureLoopback,
      }),
      ...(ssl !== undefined && { ssl: ssl as never }), // Slonik's own ssl option (its type omits false)
      maximumPoolSize: 1,
      // Slonik's default connectionTimeout (5 s) is a speed limit: a storm of 50 new connections on a
      // loaded 2-core machine passed it. A test waits for the connection; this ceiling only catches a hang.
      connectionTimeout: 120_000,
      // The pool closes an idle connection after idleTimeout: the next query opens a new one.
      ...(retireAfterMs === undefined ? {} : { idleTimeout: retireAfterMs / 20 }),
    });
    try {
      await pool.query(sql.unsafe`select 1`); // open the pool's one connection now
    } catch (error) {
      await pool.end();
      throw error;
    }
    return {
      currentUser: () => pool.oneFirst(sql.unsafe`select current_user`) as Promise<string>,
      close: () => pool.end(),
    };
  },
  setUp: (credential) => createEntraDriverFactory(createPgDriverFactory(), credential as never),
  // The wrapped factory hands the inner driver factory a URI with the token as its password: an
  // inner factory that only records that URI shows what a connection to `host` would get.
  async passwordFor(credential, host) {
    const uris: string[] = [];
    const recording: SlonikDriverFactoryLike = async ({ driverConfiguration }) => {
      uris.push(driverConfiguration.connectionUri);
      return { createClient: async () => undefined };
    };
    await createEntraDriverFactory(
      recording,
      credential,
    )({ driverConfiguration: { connectionUri: `postgres://${host}/db` } });
    return decodeURIComponent(new URL(uris[0]!).password);
  },
  tlsTable: {},
});
