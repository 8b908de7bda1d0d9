// The shared adapter conformance suite, run through pg with entraTokenProvider and getEntraRoleName.
import { describeAdapterConformance, sslValueFor } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { entraTokenProvider, getEntraRoleName } from "../../src/index.js";

describeAdapterConformance({
  name: "pg",
  async connect({ host, port, database, ca, credential, username, retireAfterMs, tls, allowInsecureLoopback }) {
    // Without a row: verified TLS with the emulator's CA; a row: pg's own ssl (unset: pg reads PGSSLMODE).
    const ssl = tls === undefined ? { ca, rejectUnauthorized: true } : sslValueFor(tls);
    const pool = new pg.Pool({
      host,
      port,
      database,
      user: username ?? (await getEntraRoleName(credential)),
      password: entraTokenProvider(credential, { allowInsecureLoopback }),
      ...(ssl !== undefined && { ssl }),
      max: 1,
      ...(retireAfterMs === undefined ? {} : { maxLifetimeSeconds: retireAfterMs / 1000 }),
    });
    pool.on("error", () => undefined);
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
  tlsTable: {
    // A password function cannot turn TLS on, and pg's default is no TLS.
    plaintextWithoutSetting: true,
    cannotExpress: {
      // pg reads sslmode in a connection string its own way (sslmode=allow turns verified TLS on);
      // its PGSSLMODE rows cover libpq's modes.
      sslmode: "pg has no sslmode option of its own",
    },
  },
});
