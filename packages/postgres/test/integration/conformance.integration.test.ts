// The shared adapter conformance suite, run through postgres.js with getEntraPostgresOptions: the
// README's program (`postgres({ ...options, database })`), TLS verified against the emulator's CA
// through the adapter's own sslrootcert setting, one connection per postgres() instance (max: 1).
import { describeAdapterConformance, sslmodeSettingsFor } from "@azure-postgresql-auth/test-support";
import postgres from "postgres";
import { getEntraPostgresOptions } from "../../src/index.js";

describeAdapterConformance({
  name: "postgres.js",
  async connect({ host, port, database, caFile, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    const sql = postgres({
      ...(await getEntraPostgresOptions(credential, {
        host,
        ...sslmodeSettingsFor(tls, caFile),
        ...(username === undefined ? {} : { username }),
        allowInsecureLoopback,
      })),
      port,
      database,
      max: 1,
      ...(retireAfterMs === undefined ? {} : { max_lifetime: retireAfterMs / 1000 }),
    });
    try {
      await sql`select 1`; // postgres.js connects lazily: open the one connection now
    } catch (error) {
      await sql.end();
      throw error;
    }
    return {
      currentUser: async () => (await sql<{ current_user: string }[]>`select current_user`)[0]!.current_user,
      close: () => sql.end(),
    };
  },
  // getEntraPostgresOptions checks its arguments before it returns its promise: it throws at once.
  setUp: (credential) => getEntraPostgresOptions(credential as never),
  // postgres.js calls the password function with no arguments; the host is bound at set-up.
  // (An explicit username, so the set-up itself asks for no token.)
  passwordFor: async (credential, host) =>
    (await getEntraPostgresOptions(credential, { host, username: "x" })).password(),
  tlsTable: {
    cannotExpress: {
      // The adapter returns postgres.js's ssl; a value spread over it afterwards is not seen by the
      // password function (postgres.js calls it with no arguments).
      "ssl: false": "the adapter sets postgres.js's ssl itself",
      "rejectUnauthorized: false": "the adapter sets postgres.js's ssl itself",
    },
  },
});
