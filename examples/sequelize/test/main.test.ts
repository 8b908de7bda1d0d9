// Runs the example program, unchanged, against the emulator with short-lived tokens.
import { describeExample } from "@azure-postgresql-auth/test-support";
import { expect, it } from "vitest";

describeExample({
  name: "examples/sequelize (v6)",
  main: new URL("../dist/main.js", import.meta.url),
  moreTests: ({ run }) => {
    it("logs in as the managed identity through DefaultAzureCredential and uses a model", async () => {
      const result = await run();
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("connected as orders-api-identity");
      expect(result.stdout).toContain("notes in the table: 1");
    });

    it("group login with DB_ROLE: the group's role, the managed identity's token refused as not a member", async () => {
      const result = await run({ DB_ROLE: "db-readers" });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/db-readers/);
      expect(result.stats.logins.refused).toBe(1);
    });
  },
});
