import { defineConfig } from "vitest/config";

// End-to-end tests: real PostgreSQL behind the emulator's TLS front.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
