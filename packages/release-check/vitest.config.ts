import { mergeConfig } from "vitest/config";
import { workspaceTestConfig } from "../../vitest.shared.ts";

// Its tests read what check:package made (the tarballs in each package's .pack/): turbo runs this
// package's test:integration after every published package's check:package (turbo.json).
export default mergeConfig(workspaceTestConfig("integration"), {
  test: { include: ["test/*.test.ts"] },
});
