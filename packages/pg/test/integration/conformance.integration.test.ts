// The shared adapter conformance suite, run through pg with entraTokenProvider and getEntraRoleName.
import { describeAdapterConformance } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { entraTokenProvider, getEntraRoleName } from "../../src/index.js";

describeAdapterConformance({
  name: "pg",
  async connect({ host, port, database, ca, credential, username, retireAfterMs }) {
    const pool = new pg.Pool({
      host,
      port,
      database,
      user: username ?? (await getEntraRoleName(credential)),
      password: entraTokenProvider(credential),
      ssl: { ca, rejectUnauthorized: true },
      max: 1,
      ...(retireAfterMs === undefined ? {} : { maxLifetimeSeconds: retireAfterMs / 1000 }),
    });
    try {
      await pool.query("select 1"); // pg.Pool connects lazily: open its one connection now
    } catch (error) {
      await pool.end();
      throw error;
    }
    return {
      currentUser: async () =>
        (await pool.query<{ current_user: string }>("select current_user")).rows[0]!.current_user,
      close: () => pool.end(),
    };
  },
  setUp: (credential) => entraTokenProvider(credential as never),
  passwordFor: (credential, host) => entraTokenProvider(credential)({ host }),
});
