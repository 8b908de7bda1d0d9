import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freePort } from "../src/backend.js";
import { startEmulator } from "../src/index.js";
import { currentUser } from "./helpers.js";
import { isAlive, processesMentioning } from "./processes.js";

const SYSTEM_PG = process.env.EMULATOR_TEST_PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";

describe("lifecycle", () => {
  it("starts within seconds on a fixed port and leaves no process or folder after stop", async () => {
    const port = await freePort();
    const started = Date.now();
    const emu = await startEmulator({ port });
    expect(Date.now() - started).toBeLessThan(15_000);
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

  it.skipIf(!existsSync(`${SYSTEM_PG}/postgres`))("runs on system PostgreSQL binaries (postgresBinDir)", async () => {
    const emu = await startEmulator({ postgresBinDir: SYSTEM_PG, defaultPrincipal: "reporting-app" });
    try {
      expect(emu.env.PGUSER).toBe("reporting-app");
      const token = (await emu.credential().getToken("https://ossrdbms-aad.database.windows.net/.default")).token;
      expect(await currentUser(emu, "reporting-app", token)).toBe("reporting-app");
    } finally {
      await emu.stop();
    }
    expect(existsSync(emu.workDir)).toBe(false);
  });

  it("refuses an unknown default principal and cleans up", async () => {
    await expect(startEmulator({ defaultPrincipal: "nobody" })).rejects.toThrow(/Unknown principal/);
  });
});
