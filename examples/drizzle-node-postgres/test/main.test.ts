// Runs the example program, unchanged, against the emulator with short-lived tokens.
import { describeExample } from "@azure-postgresql-auth/test-support";

describeExample({
  name: "examples/drizzle-node-postgres",
  main: new URL("../dist/main.js", import.meta.url),
  rootReadmeSnippet: true,
});
