import { workspaceTestConfig } from "../../vitest.shared.ts";
import { mergeConfig } from "vitest/config";

// Each file starts a real PostgreSQL; run files one after the other (2-core machines).
export default mergeConfig(workspaceTestConfig("unit", { slow: true }), { test: { include: ["test/**/*.test.ts"], fileParallelism: false } });
