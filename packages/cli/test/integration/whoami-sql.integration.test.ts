// The SQL that `whoami` prints, run by the server's Entra admin, lets a newly added principal log in
// (through the proxy, as that principal).
import { execFile } from "node:child_process";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, managedIdentityEnv, startProxyProcess } from "./proxy-process.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe("whoami's SQL creates the role", () => {
  it("a new managed identity: whoami → the admin runs the SQL → it logs in through the proxy", async () => {
    // Typed by hand until the emulator branch (with these options and fields) is merged.
    const pgaadauthEmu = emu as unknown as {
      entraAdmin: string;
      addPrincipal(input: object, options: { createRole: boolean }): Promise<{ clientId: string; oid: string }>;
    };
    const added = await pgaadauthEmu.addPrincipal(
      { kind: "managedIdentity", name: "billing-api", assignment: "user" },
      { createRole: false },
    );
    const env = managedIdentityEnv(emu);
    const proxyArgs = ["--client-id", added.clientId, "--max-sigterm-delay", "10"];

    // Before: the server has no role for it.
    const before = await startProxyProcess(emu, proxyArgs, env);
    const refused = new pg.Client({
      host: "127.0.0.1",
      port: before.port,
      database: "appdb",
      user: "billing-api",
      ssl: false,
    });
    const error = (await refused.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as pg.DatabaseError;
    await before.stop();
    expect(error.code).toBe("28P01");

    const who = await cli(["whoami", "--client-id", added.clientId, "--json"], env);
    expect(who.code, who.stderr).toBe(0);
    const { sql, roleName, objectId } = JSON.parse(who.stdout) as { sql: string; roleName: string; objectId: string };
    expect([roleName, objectId]).toEqual(["billing-api", added.oid]);

    // The Entra admin runs it (in postgres, as Azure documents), with her own token.
    const adminName = pgaadauthEmu.entraAdmin;
    const { token } = (await emu.credential(adminName).getToken("https://ossrdbms-aad.database.windows.net/.default"))!;
    const admin = new pg.Client({
      host: emu.host,
      port: emu.port,
      database: "postgres",
      user: adminName,
      password: token,
      ssl: { ca: emu.ca, rejectUnauthorized: true },
    });
    await admin.connect();
    try {
      const { rows } = await admin.query<Record<string, string>>(sql);
      expect(Object.values(rows[0]!)).toEqual(["Created role for billing-api"]);
      await admin.query(`grant connect on database appdb to "billing-api"`);
    } finally {
      await admin.end();
    }

    // After: the new identity logs in through the proxy.
    const after = await startProxyProcess(emu, proxyArgs, env);
    try {
      const client = new pg.Client({
        host: "127.0.0.1",
        port: after.port,
        database: "appdb",
        user: "billing-api",
        ssl: false,
      });
      await client.connect();
      expect((await client.query<{ u: string }>("select current_user as u")).rows[0]!.u).toBe("billing-api");
      await client.end();
    } finally {
      await after.stop();
    }
  });
});
