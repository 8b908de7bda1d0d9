import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // JSON results are summed up by scripts/test-summary.mjs after `pnpm test`.
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/unit.json" },
    include: ["test/*.test.ts"],
  },
});
