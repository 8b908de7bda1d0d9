// The shared adapter conformance suite, run through Knex 3 (pg client) with entraKnexConnection:
// the README's program (`knex({ client: "pg", connection: entraKnexConnection(...) })`), TLS
// verified against the emulator's CA through the adapter's own sslrootcert setting, one connection
// per Knex instance (a pool of at most one).
import { describeAdapterConformance, sslmodeSettingsFor, sslValueFor } from "@azure-postgresql-auth/test-support";
import knex from "knex";
import { entraKnexConnection } from "../../src/index.js";

describeAdapterConformance({
  name: "Knex",
  async connect({ host, port, database, caFile, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    const ssl = sslValueFor(tls);
    const db = knex({
      client: "pg",
      connection: entraKnexConnection(credential, {
        connection: { host, port, database, ...(ssl !== undefined && { ssl }) },
        ...sslmodeSettingsFor(tls, caFile),
        ...(username === undefined ? {} : { username }),
        allowInsecureLoopback,
      }),
      pool: { min: 0, max: 1, ...(retireAfterMs === undefined ? {} : { maxConnectionLifetimeMillis: retireAfterMs }) },
    });
    try {
      await db.raw("select 1"); // Knex connects lazily: open the pool's one connection now
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return {
      async currentUser() {
        const result = (await db.raw("select current_user")) as { rows: Array<{ current_user: string }> };
        return result.rows[0]!.current_user;
      },
      close: () => db.destroy(),
    };
  },
  setUp: (credential) => entraKnexConnection(credential as never),
  // Knex calls the connection provider for a new connection; the host comes from the settings.
  passwordFor: async (credential, host) => (await entraKnexConnection(credential, { connection: { host } })()).password,
  tlsTable: {},
});
