// Runs the example program, unchanged, against the emulator with short-lived tokens: as a managed
// identity (App Service style endpoint) across token expiry, and as a developer signed in with the
// Azure CLI.
import { delimiter } from "node:path";
import { describeExample } from "@azure-postgresql-auth/test-support";
import { expect, it } from "vitest";

describeExample({
  name: "examples/pg",
  main: new URL("../dist/main.js", import.meta.url),
  moreTests: ({ emulator, run }) => {
    it("five connections at once cost one token request", async () => {
      const result = await run();
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("connected as orders-api-identity on 5 backend session(s)");
      expect(result.stdout.match(/token: requested/g)).toHaveLength(1);
      expect(result.stats.tokenRequests.managedIdentityEndpoint).toBe(1);
      expect(result.stats.logins.ok).toBe(5);
    });

    it("logs in as a developer signed in with the Azure CLI", async () => {
      const emu = emulator();
      const az = await emu.createAzStandIn({ principal: emu.principals.user.name });
      const result = await run({
        PATH: `${az.binDir}${delimiter}${process.env.PATH}`,
        IDENTITY_ENDPOINT: undefined,
        IDENTITY_HEADER: undefined,
        AZURE_TOKEN_CREDENTIALS: "AzureCliCredential",
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("connected as alice@contoso.com");
      expect(result.stats.tokenRequests.az).toBe(1);
    });
  },
});
