// End to end: the built benchmark, tiny sizes, two scenarios, against a real emulator.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const runJs = fileURLToPath(new URL("../dist/run.js", import.meta.url));
const tempDir = mkdtempSync(join(tmpdir(), "bench-test-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));
const outDir = join(tempDir, "not-yet-made"); // --out-dir creates its folder

interface Results {
  mode: string;
  results: Array<{
    id: string;
    rows: Array<{ metric: string; values: Record<string, number | null>; target?: { pass: boolean } }>;
  }>;
}

describe("benchmark harness", () => {
  it("runs a tiny storm and churn end to end and writes its figures", async () => {
    expect(existsSync(runJs), "build the bench first: pnpm --filter @azure-postgresql-auth/bench run build").toBe(true);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [runJs, "--smoke", "--scenarios", "storm,churn", "--out-dir", outDir],
      {
        timeout: 150_000,
      },
    );
    expect(stdout).toContain("token endpoint requests");

    const results = JSON.parse(readFileSync(join(outDir, "bench-results.json"), "utf8")) as Results;
    expect(results.mode).toBe("smoke");
    expect(results.results.map((r) => r.id)).toEqual(["storm", "churn"]);
    const storm = results.results[0]!;
    const requests = storm.rows.find((r) => r.metric === "token endpoint requests")!;
    expect(requests.values.static).toBeNull();
    expect(requests.values.ours).toBe(1);
    expect(requests.values.microsoft).toBeGreaterThanOrEqual(1);
    const failed = storm.rows.find((r) => r.metric === "failed connections")!;
    expect(failed.values).toEqual({ static: 0, microsoft: 0, ours: 0 });
    const p50 = results.results[1]!.rows.find((r) => r.metric === "connect p50")!;
    for (const value of Object.values(p50.values)) expect(value).toBeGreaterThan(0);
    expect(readFileSync(join(outDir, "BENCHMARKS.md"), "utf8")).toContain("| scenario | metric |");
  });

  it("runs the auth proxy beside a direct connection and a bare relay, with one token request per process", async () => {
    const proxyOut = join(tempDir, "auth-proxy");
    await promisify(execFile)(
      process.execPath,
      [runJs, "--smoke", "--scenarios", "auth-proxy", "--out-dir", proxyOut],
      {
        timeout: 150_000,
      },
    );
    const results = JSON.parse(readFileSync(join(proxyOut, "bench-results.json"), "utf8")) as Results;
    const rows = results.results[0]!.rows;
    // One for the client's cache (direct and relay paths), one for the proxy's: not one per connection.
    expect(rows.find((r) => r.metric === "token endpoint requests (all paths)")!.values.ours).toBe(2);
    const measured = rows.filter((r) => r.metric !== "token endpoint requests (all paths)");
    expect(measured.map((r) => r.metric)).toEqual([
      "select 1 round trip p50",
      "select 1 round trip p99",
      "warm-up: select 1 round trip p99, first 50 after start",
      "COPY out 1 MiB",
      "COPY in 1 MiB",
      "connect p50, cached token",
    ]);
    for (const r of measured) for (const value of Object.values(r.values)) expect(value).toBeGreaterThan(0);
  });
});
