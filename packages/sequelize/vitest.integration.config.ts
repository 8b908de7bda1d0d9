import { defineConfig } from "vitest/config";

// End-to-end tests: real PostgreSQL behind the emulator's TLS front.
export default defineConfig({
  test: {
    // JSON results are summed up by scripts/test-summary.mjs after `pnpm test`.
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/integration.json" },
    include: ["test/integration/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
