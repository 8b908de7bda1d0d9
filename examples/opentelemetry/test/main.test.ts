// Runs the example program, unchanged, against the emulator with short-lived tokens (the shared
// example test), and reads what its console exporters printed: the token cache's spans and metrics.
import { describeExample } from "@azure-postgresql-auth/test-support";
import { expect, it } from "vitest";

describeExample({
  name: "examples/opentelemetry",
  main: new URL("../dist/main.js", import.meta.url),
  moreTests: ({ run }) => {
    it("prints the token cache's span, @azure/identity's spans under it, and the documented metrics", async () => {
      const result = await run();
      expect(result.status, result.stderr).toBe(0);
      expect(result.rounds).toHaveLength(1);
      // ConsoleSpanExporter prints one object per finished span: its name, id and parent's id.
      const spans = result.stdout
        .split(/^\{$/m)
        .map((block) => ({
          name: /^ {2}name: '([^']+)',$/m.exec(block)?.[1],
          id: /^ {2}id: '([0-9a-f]+)',$/m.exec(block)?.[1],
          parent: /parentSpanContext: \{[^}]*spanId: '([0-9a-f]+)'/.exec(block)?.[1],
        }))
        .filter((span) => span.name !== undefined);
      const ours = spans.filter((span) => span.name === "EntraTokenCache.getToken");
      expect(ours).toHaveLength(1); // one credential call: the role name and the connection share the token
      const identity = spans.filter((span) => span.parent === ours[0]!.id).map((span) => span.name);
      expect(identity).toEqual(["ChainedTokenCredential.getToken"]); // DefaultAzureCredential
      expect(result.stdout).toContain("'azure.postgresql_auth.reason': 'cold'");
      expect(result.stdout).toContain("'azure.postgresql_auth.outcome': 'success'");
      // ConsoleMetricExporter, at shutdown.
      for (const name of ["requests", "cache_hits", "duration", "time_to_expiry"]) {
        expect(result.stdout).toContain(`name: 'azure.postgresql_auth.token.${name}'`);
      }
    });
  },
});
