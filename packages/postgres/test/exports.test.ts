import { fileURLToPath } from "node:url";
import {
  adapterCoreReexports,
  apiReportReexports,
  loadPackageExports,
} from "@azure-postgresql-auth/test-support/package-checks";
import { describe, expect, it } from "vitest";

describe("@azure/postgresql-auth-postgres exports", () => {
  it("loads through import and require with the same export list", () => {
    const { esm, cjs } = loadPackageExports(
      "@azure/postgresql-auth-postgres",
      fileURLToPath(new URL("..", import.meta.url)),
    );
    const expected = ["EntraAuthError", "getEntraPostgresOptions"];
    expect(esm).toEqual(expected);
    expect(cjs).toEqual(expected);
  });

  it("re-exports exactly the shared list from core (types included, read from the API report)", () => {
    expect(apiReportReexports(fileURLToPath(new URL("..", import.meta.url)))).toEqual([...adapterCoreReexports]);
  });
});
