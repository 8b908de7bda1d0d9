import { availableParallelism } from "node:os";
import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The vitest configuration every workspace package uses: `unit` runs test/*.test.ts, `integration`
 * runs test/integration/** (real PostgreSQL through the emulator). Results are also written as JSON
 * for scripts/test-summary.mjs. `slow` marks tests that start an emulator or run programs.
 *
 * Shaped for `pnpm test`, where turbo runs about as many packages at once as there are cores
 * (scripts/test.mjs):
 * - worker threads, not forked processes: a test file's fresh worker costs about 40% less CPU
 *   (measured: core's unit tests 19 → 12 CPU seconds), and files stay isolated from each other;
 * - each package gets at most half the cores for its own workers, since other packages run beside it;
 * - fast unit tests share their worker (`isolate: false`): a fresh worker per file cost each file
 *   about 0.8 CPU seconds of start-up and imports, more than most files' tests (measured alone:
 *   core's unit tests 22.4 → 6.9 CPU seconds, the CLI's 22.0 → 8.4). So a unit test may not
 *   depend on what another file left in the process: it sets and restores the global state it
 *   uses (OpenTelemetry providers, environment variables, fake timers), and a module it mocks is
 *   imported fresh after `vi.resetModules()`. Tests that start an emulator or run programs (`slow`)
 *   keep a worker per file;
 * - timeouts are ceilings that only catch a hang, never a speed check: a test that passes in 1 s
 *   alone took 5–12 s while ten tasks ran at once on 2 cores, so a ceiling is at least 20 times a
 *   test's time alone (speed is measured by `pnpm bench`).
 */
export function workspaceTestConfig(kind: "unit" | "integration", options: { slow?: boolean } = {}): ViteUserConfig {
  const slow = options.slow ?? kind === "integration";
  const ceilingMs = slow ? 180_000 : 60_000;
  return defineConfig({
    test: {
      include: kind === "unit" ? ["test/*.test.ts"] : ["test/integration/**/*.test.ts"],
      pool: "threads",
      isolate: slow,
      // Workspace packages are linked from outside node_modules, so vite would transform and run their
      // built JavaScript (the emulator, test-support) in every test file; Node loads it natively.
      server: { deps: { external: [/\/dist\/esm\//, /\/dist\/cjs\//] } },
      maxWorkers: Math.max(1, Math.floor(availableParallelism() / 2)),
      testTimeout: ceilingMs,
      hookTimeout: ceilingMs,
      reporters: ["default", "json"],
      outputFile: { json: `.test-results/${kind}.json` },
    },
  });
}
