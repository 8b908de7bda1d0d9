// The shared adapter conformance suite, run through postgres.js with getEntraPostgresOptions: the
// README's program (`postgres({ ...options, database })`), TLS verified against the emulator's CA
// through the adapter's own sslrootcert setting, one connection per postgres() instance (max: 1).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeAdapterConformance } from "@azure-postgresql-auth/test-support";
import postgres from "postgres";
import { getEntraPostgresOptions } from "../../src/index.js";

/** The CA as a PEM file: the adapter reads `sslrootcert` from a file, as libpq does. */
const caFile = (ca: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "conformance-postgres-")), "ca.pem");
  writeFileSync(file, ca);
  return file;
};
let written: { ca: string; file: string } | undefined;
const sslrootcert = (ca: string) => {
  if (written?.ca !== ca) written = { ca, file: caFile(ca) };
  return written.file;
};

describeAdapterConformance({
  name: "postgres.js",
  async connect({ host, port, database, ca, credential, username }) {
    const sql = postgres({
      ...(await getEntraPostgresOptions(credential, {
        host,
        sslmode: "verify-full",
        sslrootcert: sslrootcert(ca),
        ...(username === undefined ? {} : { username }),
      })),
      port,
      database,
      max: 1,
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
});
