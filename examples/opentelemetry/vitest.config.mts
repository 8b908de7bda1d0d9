import { workspaceTestConfig } from "../../vitest.shared.ts";

// Each test starts the emulator and runs a program against it.
export default workspaceTestConfig("unit", { slow: true });
