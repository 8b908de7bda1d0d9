import { workspaceTestConfig } from "../vitest.shared.ts";

// The harness test runs the built benchmark (dist/) end to end: `pnpm run build` first (turbo's test task does).
export default workspaceTestConfig("unit", { slow: true });
