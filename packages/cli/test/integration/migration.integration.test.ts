// A real migration tool that takes only a URL (drizzle-kit refuses a password function) runs
// through the proxy: the URL has no password, the proxy logs in with the managed identity.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsJwt, type ProxyProcess, startProxyProcess } from "./proxy-process.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const drizzleKit = join(packageDir, "node_modules", "drizzle-kit", "bin.cjs");

let emu: Emulator;
let proxy: ProxyProcess;
beforeAll(async () => {
  emu = await startEmulator();
  // Playing the server's admin: migration tools create a schema for their bookkeeping
  // (drizzle: CREATE SCHEMA IF NOT EXISTS), which needs CREATE on the database. On Azure the
  // admin grants it; in the emulator we do it as the backend's bootstrap superuser, on loopback
  // (its port is in postmaster.pid; the emulator has no Entra admin role on this branch yet).
  const backendPort = Number(readFileSync(join(emu.workDir, "data", "postmaster.pid"), "utf8").split("\n")[3]);
  const admin = new pg.Client({ host: "127.0.0.1", port: backendPort, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(
    `grant create on database appdb to ${pg.escapeIdentifier(emu.principals.managedIdentity.roleName)}`,
  );
  await admin.end();
  proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "10"]);
});
afterAll(async () => {
  await proxy?.stop();
  await emu?.stop();
});

describe("a migration through the proxy URL", () => {
  it("drizzle-kit migrate creates the table and records the migration, with no password anywhere", async () => {
    const role = emu.principals.managedIdentity.roleName;
    const url = `postgresql://${encodeURIComponent(role)}@127.0.0.1:${proxy.port}/appdb?sslmode=disable`;
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DATABASE_URL: url };
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(
        process.execPath,
        [drizzleKit, "migrate", "--config", "test/integration/drizzle/drizzle.config.ts"],
        { cwd: packageDir, env },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      ),
    );
    expect(code, output).toBe(0);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ owner: string }>(
        "select tableowner as owner from pg_tables where tablename = 'proxy_migration_orders'",
      );
      expect(rows).toEqual([{ owner: role }]);
      const applied = await client.query<{ n: string }>("select count(*) as n from public.__proxy_migrations");
      expect(applied.rows[0]!.n).toBe("1");
      await client.query("insert into proxy_migration_orders (customer) values ('contoso')");
      const { rows: orders } = await client.query<{ customer: string; quantity: number }>(
        "select customer, quantity from proxy_migration_orders",
      );
      expect(orders).toEqual([{ customer: "contoso", quantity: 1 }]);
    } finally {
      await client.end();
    }
    expect(containsJwt(output + proxy.output())).toBe(false);
  });
});
