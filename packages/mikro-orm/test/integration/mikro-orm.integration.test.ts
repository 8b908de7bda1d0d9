// End-to-end: MikroORM 6 (Knex + pg underneath) against a real PostgreSQL behind the emulator's
// TLS front, which checks Entra tokens the way Azure does. Verified TLS everywhere. The logins
// (managed identity, user, group, explicit role), expiry (new instances, and one long-lived pool
// refilled through Knex's expirationChecker), storm, cloud scope and null credential are in
// conformance.integration.test.ts (the shared suite); here, what is MikroORM's own: TLS refusal.
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { MikroORM } from "@mikro-orm/postgresql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEntraMikroOrmOptions } from "../../src/index.js";

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

const init = async (entra: Awaited<ReturnType<typeof getEntraMikroOrmOptions>>, pool: object = {}) =>
  MikroORM.init({
    ...entra,
    port: emu.port,
    dbName: emu.database,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    pool,
  });

describe("MikroORM with getEntraMikroOrmOptions", () => {
  it("does not trust a server certificate from a CA it was not given, and sends no token", async () => {
    delete process.env.PGSSLROOTCERT; // Node's default CAs only
    emu.resetStats();
    try {
      // MikroORM.init connects at once, so the TLS failure surfaces there.
      const options = await getEntraMikroOrmOptions(emu.credential(emu.principals.user.name));
      await expect(init(options)).rejects.toThrow(
        /self-signed certificate in certificate chain|unable to verify the first certificate/,
      );
      expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
    } finally {
      process.env.PGSSLROOTCERT = emu.env.PGSSLROOTCERT;
    }
  });
});
