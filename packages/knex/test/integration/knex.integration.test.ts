// End-to-end: Knex 3.3 (pg client) against a real PostgreSQL behind the emulator's TLS front, which
// checks Entra tokens the way Azure does. Verified TLS everywhere. The logins (managed identity,
// user, group, explicit role), expiry (new Knex instances, and one long-lived pool refilled through
// Knex's expirationChecker), storm, cloud scope and null credential are in
// conformance.integration.test.ts (the shared suite); here, what is Knex's own: TLS refusal.
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import knex, { type Knex } from "knex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entraKnexConnection } from "../../src/index.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  for (const [key, value] of Object.entries(emu.env)) process.env[key] = value;
  for (const key of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "PGUSER"])
    delete process.env[key];
});
afterAll(async () => {
  await emu?.stop();
});

const currentUser = async (db: Knex) =>
  ((await db.raw("select current_user")) as { rows: Array<{ current_user: string }> }).rows[0]!.current_user;

describe("Knex with entraKnexConnection", () => {
  it("does not trust a server certificate from a CA it was not given, and sends no token", async () => {
    delete process.env.PGSSLROOTCERT; // Node's default CAs only
    emu.resetStats();
    const db = knex({
      client: "pg",
      connection: entraKnexConnection(emu.credential(emu.principals.user.name), {
        connection: { port: emu.port, database: emu.database },
      }),
    });
    try {
      await expect(currentUser(db)).rejects.toThrow(
        /self-signed certificate in certificate chain|unable to verify the first certificate/,
      );
      expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
    } finally {
      process.env.PGSSLROOTCERT = emu.env.PGSSLROOTCERT;
      await db.destroy();
    }
  });
});
