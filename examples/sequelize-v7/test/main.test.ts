// Runs the example program, unchanged, against the emulator with short-lived tokens.
import { describeExample } from "@azure-postgresql-auth/test-support";
import { expect, it } from "vitest";

describeExample({
  name: "examples/sequelize-v7",
  main: new URL("../dist/main.js", import.meta.url),
  rootReadmeSnippet: true,
  moreTests: ({ run }) => {
    it("a configured user wins over the token (v7 names it `user`): the group's role, refused for a non-member", async () => {
      const result = await run({ DB_ROLE: "db-readers" });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/db-readers/);
      expect(result.stats.logins.refused).toBe(1);
    });
  },
});
