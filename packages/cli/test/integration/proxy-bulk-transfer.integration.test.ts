// A long-running proxy moving bulk data: after many small queries (V8's young generation has
// grown), a large COPY through the proxy must not run one full garbage collection after another.
// Each 16 KiB TLS record the proxy reads is a new off-heap buffer; with V8's default heap growth
// those buffers used up the small heap's headroom every few MiB and each time started a
// mark-compact of the whole heap (about 5 per 100 MiB, doubling the proxy's CPU for the COPY).
import { spawn } from "node:child_process";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxyProcess } from "./proxy-process.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

/** prom-client's count of full (major) collections in the proxy process, from /metrics. */
async function majorCollections(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  if (!/^# TYPE nodejs_gc_duration_seconds histogram$/m.test(text)) throw new Error("/metrics has no GC figures");
  const match = /^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0; // the series appears with the first major collection
}

/** psql (libpq) reads `mib` MiB of COPY output through the proxy and throws it away. */
function copyOut(port: number, user: string, mib: number): Promise<void> {
  const rows = mib * 1024; // 1 KiB lines
  const conninfo = `host=127.0.0.1 port=${port} dbname=appdb user=${user} sslmode=disable`;
  const sql = `copy (select repeat('x', 1023) from generate_series(1, ${rows})) to stdout`;
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/psql", [conninfo, "-X", "-q", "-c", sql], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${stderr}`))));
  });
}

describe("proxy: bulk transfer after small queries", () => {
  it("reads 128 MiB of COPY output after 5000 round trips with at most 2 full garbage collections", async () => {
    const user = emu.principals.managedIdentity.roleName;
    const proxy = await startProxyProcess(emu, ["--http-port", "0"]);
    const client = new pg.Client({ host: "127.0.0.1", port: proxy.port, database: "appdb", user, ssl: false });
    try {
      await client.connect();
      for (let i = 0; i < 5000; i++) await client.query("select 1");
      await copyOut(proxy.port, user, 8); // the relay path is optimised before counting
      const before = await majorCollections(proxy.httpPort!);
      await copyOut(proxy.port, user, 128);
      const during = (await majorCollections(proxy.httpPort!)) - before;
      expect(during).toBeLessThanOrEqual(2);
    } finally {
      await client.end().catch(() => undefined);
      await proxy.stop();
    }
  }, 60_000);
});
