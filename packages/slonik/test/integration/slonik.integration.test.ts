// End-to-end: Slonik 47 (its pg driver) against a real PostgreSQL behind the emulator's TLS front,
// which checks Entra tokens the way Azure does. Verified TLS everywhere; pg.defaults untouched. The
// logins (managed identity, user, group, explicit role), expiry (new pools, and one long-lived pool
// whose inner pg driver is set up again when the token changes), storm, cloud scope and null
// credential are in conformance.integration.test.ts (the shared suite); here, what is Slonik's
// own: TLS refusal.
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { createPgDriverFactory } from "@slonik/pg-driver";
import { createPool } from "slonik";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEntraDriverFactory } from "../../src/index.js";

let emu: Emulator;
let uri: string;
beforeAll(async () => {
  emu = await startEmulator();
  for (const [key, value] of Object.entries(emu.env)) process.env[key] = value;
  for (const key of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "PGUSER"])
    delete process.env[key];
  uri = `postgres://${emu.host}:${emu.port}/${emu.database}`;
});
afterAll(async () => {
  await emu?.stop();
});

describe("Slonik with createEntraDriverFactory", () => {
  it("does not trust a server certificate from a CA it was not given, and sends no token", async () => {
    delete process.env.PGSSLROOTCERT; // Node's default CAs only
    emu.resetStats();
    try {
      await expect(
        createPool(uri, {
          driverFactory: createEntraDriverFactory(createPgDriverFactory(), emu.credential(emu.principals.user.name)),
        }),
      ).rejects.toThrow(/self-signed certificate in certificate chain|unable to verify the first certificate/);
      expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
    } finally {
      process.env.PGSSLROOTCERT = emu.env.PGSSLROOTCERT;
    }
  });
});
