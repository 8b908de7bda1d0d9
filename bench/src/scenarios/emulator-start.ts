/**
 * Start time of the emulator itself (what every end-to-end test, the demo and users' CI pay):
 * - cold: an empty cache folder, so the start runs initdb and makes the template (as root it also
 *   copies the PostgreSQL binaries where the `postgres` user can reach them);
 * - warm: the template is cached, the start copies it.
 * Measured in this process from the call of startEmulator to ready; not per contender.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@azure/postgresql-auth-emulator";
import { median, percentile } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

const WARM_TARGET_MS = 500;

function onlyOurs(value: number): Record<"static" | "microsoft" | "ours", Figure> {
  return { static: null, microsoft: null, ours: value };
}

async function timeStart(cacheDir?: string): Promise<{ ms: number; cold: boolean }> {
  const started = performance.now();
  const emu = await startEmulator(cacheDir ? { cacheDir } : {});
  const ms = performance.now() - started;
  await emu.stop();
  return { ms, cold: emu.startup.templateCreated };
}

export const emulatorStartScenario: Scenario = {
  id: "emulator-start",
  title: "Emulator start (cold and warm)",
  async parent(ctx) {
    const coldRuns = bySize(ctx.mode, { full: 3, quick: 2, smoke: 1 });
    const warmRuns = bySize(ctx.mode, { full: 20, quick: 10, smoke: 3 });
    const cold: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      const cacheDir = mkdtempSync(join(tmpdir(), "bench-emulator-cache-"));
      try {
        const result = await timeStart(cacheDir);
        if (!result.cold) throw new Error("a start with an empty cache folder did not make a template");
        cold.push(result.ms);
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }
    }
    await timeStart(); // make sure the machine's cache is filled
    const warm: number[] = [];
    for (let i = 0; i < warmRuns; i++) {
      const result = await timeStart();
      if (result.cold) throw new Error("a warm start made a new template");
      warm.push(result.ms);
    }
    const warmMedian = median(warm);
    const warmP95 = percentile(warm, 95);
    ctx.log(
      `${this.id}: cold median ${median(cold).toFixed(0)} ms, warm median ${warmMedian.toFixed(0)} ms, p95 ${warmP95.toFixed(0)} ms`,
    );
    return {
      id: this.id,
      title: this.title,
      ran: `startEmulator() to ready, then stop: ${coldRuns} cold starts (each with an empty cache folder) and ${warmRuns} warm starts (template cached), one after the other.`,
      rows: [
        row("cold start to ready, median", "ms", onlyOurs(median(cold)), { ratios: false }),
        row("warm start to ready, median", "ms", onlyOurs(warmMedian), {
          ratios: false,
          target: { text: `≤ ${WARM_TARGET_MS} ms`, pass: warmMedian <= WARM_TARGET_MS },
        }),
        row("warm start to ready, p95", "ms", onlyOurs(warmP95), { ratios: false }),
      ],
      notes: ["The emulator's own start, measured once (not per contender): shown in the ours column; — elsewhere."],
    };
  },
  child: async () => ({}),
};
