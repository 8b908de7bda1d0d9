// The shared adapter conformance suite, run through Slonik 47 with createEntraDriverFactory: the
// README's program (`createPool(uri, { driverFactory })`), the role name for group login in the
// URI (the adapter's documented way), TLS verified against the emulator's CA through the adapter's
// own sslrootcert option, one pool connection per pool (maximumPoolSize: 1).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeAdapterConformance } from "@azure-postgresql-auth/test-support";
import { createPgDriverFactory } from "@slonik/pg-driver";
import { createPool, sql } from "slonik";
import { createEntraDriverFactory, type SlonikDriverFactoryLike } from "../../src/index.js";

/** The CA as a PEM file: the adapter reads `sslrootcert` from a file, as libpq does. */
let written: { ca: string; file: string } | undefined;
const sslrootcert = (ca: string) => {
  if (written?.ca !== ca) {
    const file = join(mkdtempSync(join(tmpdir(), "conformance-slonik-")), "ca.pem");
    writeFileSync(file, ca);
    written = { ca, file };
  }
  return written.file;
};

describeAdapterConformance({
  name: "Slonik",
  async connect({ host, port, database, ca, credential, username }) {
    const user = username === undefined ? "" : `${encodeURIComponent(username)}@`;
    // createPool sets the pg driver up (it reads type ids on a short connection of its own).
    const pool = await createPool(`postgres://${user}${host}:${port}/${database}`, {
      driverFactory: createEntraDriverFactory(createPgDriverFactory(), credential, {
        sslmode: "verify-full",
        sslrootcert: sslrootcert(ca),
      }),
      maximumPoolSize: 1,
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
});
