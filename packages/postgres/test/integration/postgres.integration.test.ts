// End-to-end: postgres.js (and Drizzle on postgres-js) against a real PostgreSQL behind the
// emulator's TLS front, which checks Entra tokens the way Azure does. Verified TLS everywhere. The
// logins (managed identity, user, group, explicit role), expiry across new postgres() instances
// and across one long-lived instance (max_lifetime), storm, cloud scope and null credential are in
// conformance.integration.test.ts (the shared suite); here, what is postgres.js's own: Drizzle, TLS
// refusal and a failed token request.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { sql as drizzleSql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEntraPostgresOptions } from "../../src/index.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  // PGHOST, PGPORT, PGDATABASE, PGSSLMODE=verify-full, PGSSLROOTCERT and the managed identity endpoint.
  for (const [key, value] of Object.entries(emu.env)) process.env[key] = value;
  for (const key of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "PGUSER"])
    delete process.env[key];
});
afterAll(async () => {
  await emu?.stop();
});

const currentUser = async (sql: postgres.Sql) =>
  (await sql<{ current_user: string }[]>`select current_user`)[0]!.current_user;

describe("postgres.js with getEntraPostgresOptions", () => {
  it("Drizzle on postgres-js logs in as a user with the role name from the token", async () => {
    const client = postgres({ ...(await getEntraPostgresOptions(emu.credential(emu.principals.user.name))), max: 2 });
    try {
      const db = drizzle(client);
      const rows = await db.execute<{ current_user: string }>(drizzleSql`select current_user`);
      expect(rows[0]!.current_user).toBe("alice@contoso.com");
    } finally {
      await client.end();
    }
  });

  it("does not trust a server certificate from a CA it was not given", async () => {
    delete process.env.PGSSLROOTCERT; // Node's default CAs only
    try {
      emu.resetStats();
      const credential = emu.credential(emu.principals.user.name);
      const sql = postgres({
        ...(await getEntraPostgresOptions(credential, { username: "alice@contoso.com" })),
        max: 1,
      });
      try {
        await expect(currentUser(sql)).rejects.toThrow(
          /self-signed certificate in certificate chain|unable to verify the first certificate/,
        );
        expect(emu.stats().tokenRequests.total).toBe(0); // the handshake failed before any token was asked for or sent
      } finally {
        await sql.end();
      }
    } finally {
      process.env.PGSSLROOTCERT = emu.env.PGSSLROOTCERT;
    }
  });

  it("a failed token request fails that query instead of crashing the process; the next connection logs in", async () => {
    const principal = emu.principals.servicePrincipal;
    const options = await getEntraPostgresOptions(emu.credential(principal.name), {
      username: principal.roleName,
      cache: false,
    });
    emu.configurePrincipal(principal.name, { failNext: 1, failStatus: 400 }); // not transient: no retry
    const sql = postgres({ ...options, max: 1 });
    try {
      await expect(currentUser(sql)).rejects.toThrow(/invalid format|password/i);
      expect(await currentUser(sql)).toBe(principal.roleName);
    } finally {
      emu.configurePrincipal(principal.name, { failNext: 0, failStatus: undefined });
      await sql.end();
    }
  });

  it("without a token, the application's stderr shows our error code and fix, once per distinct failure (a child process)", async () => {
    // An application as a user writes it: no logger configured, the credential fails every time,
    // three queries. postgres.js cannot report our error, so Node's warning channel does.
    const script = `
      import postgres from "postgres";
      import { getEntraPostgresOptions } from "@azure/postgresql-auth-postgres";
      const credential = { getToken: async () => { throw new Error("ManagedIdentityCredential: the identity endpoint is down"); } };
      const sql = postgres({
        ...(await getEntraPostgresOptions(credential, { username: "orders-api-identity" })),
        max: 1,
        connect_timeout: 30,
      });
      for (let i = 0; i < 3; i++) {
        try { await sql\`select 1\`; console.log("query ran"); }
        catch (error) { console.log("query failed:", error.code ?? error.message); }
      }
      await sql.end();
      console.log("done");
    `;
    const env = { ...process.env };
    delete env.AZURE_LOG_LEVEL; // no logger: what a person sees by default
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(0); // the process did not crash
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(Array(3).fill(expect.stringMatching(/^query failed: /)));
    expect(lines.slice(3)).toEqual(["done"]);
    const warnings = stderr.match(/\[TOKEN_ACQUISITION_FAILED\] EntraAuthWarning: .*/g) ?? [];
    expect(warnings).toHaveLength(1); // the same failure three times: one warning
    expect(warnings[0]).toMatch(
      /No access token for a new postgres\.js connection.*the identity endpoint is down.*az login/,
    );
    expect(stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // never a token
  });
});
