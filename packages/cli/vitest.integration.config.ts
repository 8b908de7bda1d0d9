import { workspaceTestConfig } from "../../vitest.shared.ts";

// End-to-end tests: real PostgreSQL behind the emulator's TLS front.
export default workspaceTestConfig("integration");
