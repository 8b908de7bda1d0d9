// End-to-end: Slonik 47 (its pg driver) against a real PostgreSQL behind the emulator's TLS front,
// which checks Entra tokens the way Azure does. Verified TLS everywhere; pg.defaults untouched. The
// logins (managed identity, user, group, explicit role), expiry across new pools, storm, cloud
// scope and null credential are in conformance.integration.test.ts (the shared suite); here, what
// is Slonik's own: one long-lived pool whose inner pg driver is set up again when the token
// changes, and TLS refusal.
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { createPgDriverFactory } from "@slonik/pg-driver";
import { createPool, type DatabasePool, sql } from "slonik";
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

const currentUser = (pool: DatabasePool) => pool.oneFirst(sql.unsafe`select current_user`) as Promise<string>;

describe("Slonik with createEntraDriverFactory", () => {
  it("one pool across several short token lifetimes, a new inner driver per token: 0 refused logins, about one token request per lifetime", async () => {
    const principal = emu.principals.managedIdentity;
    emu.configurePrincipal(principal.name, { tokenLifetimeSeconds: 3 });
    emu.resetStats();
    // idleTimeout 50 ms: the pool closes the connection between queries and opens a new one.
    const pool = await createPool(uri, {
      driverFactory: createEntraDriverFactory(createPgDriverFactory(), emu.credential(principal.name)),
      maximumPoolSize: 1,
      idleTimeout: 50,
    });
    try {
      const started = Date.now();
      let queries = 0;
      while (Date.now() - started < 10_000) {
        expect(await currentUser(pool)).toBe(principal.roleName);
        queries += 1;
        await new Promise((r) => setTimeout(r, 250));
      }
      const stats = emu.stats();
      expect(stats.logins.refused).toBe(0);
      expect(stats.logins.ok).toBeGreaterThanOrEqual(queries); // a new physical connection per query (plus type lookups)
      expect(stats.tokenRequests.byPrincipal[principal.name]).toBeGreaterThanOrEqual(3); // rotated across lifetimes
      expect(stats.tokenRequests.byPrincipal[principal.name]).toBeLessThan(queries); // cached in between
    } finally {
      emu.configurePrincipal(principal.name, { tokenLifetimeSeconds: 3600 });
      await pool.end();
    }
  });

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
