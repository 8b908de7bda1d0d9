import { mergeConfig } from "vitest/config";
import { workspaceTestConfig } from "../../vitest.shared.ts";

// Each file starts a real PostgreSQL; run files one after the other (2-core machines).
export default mergeConfig(workspaceTestConfig("unit", { slow: true }), {
  test: { include: ["test/**/*.test.ts"], fileParallelism: false },
});
