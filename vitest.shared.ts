import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The vitest configuration every workspace package uses: `unit` runs test/*.test.ts, `integration`
 * runs test/integration/** (real PostgreSQL through the emulator). Results are also written as JSON
 * for scripts/test-summary.mjs. `slow` raises the timeouts for tests that start an emulator.
 */
export function workspaceTestConfig(kind: "unit" | "integration", options: { slow?: boolean } = {}): ViteUserConfig {
  const slow = options.slow ?? kind === "integration";
  return defineConfig({
    test: {
      include: kind === "unit" ? ["test/*.test.ts"] : ["test/integration/**/*.test.ts"],
      reporters: ["default", "json"],
      outputFile: { json: `.test-results/${kind}.json` },
      ...(slow && { testTimeout: 60_000, hookTimeout: 60_000 }),
    },
  });
}
