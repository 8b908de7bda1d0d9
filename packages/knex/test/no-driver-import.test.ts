import { expectNoDriverImport } from "@azure-postgresql-auth/test-support/package-checks";
import { describe, it } from "vitest";

// The driver is an optional peer typed by shape: the built package may import only core and Node.
describe("built package", () => {
  it("imports no database driver at run time", () => {
    expectNoDriverImport(new URL("..", import.meta.url));
  });
});
