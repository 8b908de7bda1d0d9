import { fileURLToPath } from "node:url";
import { loadPackageExports } from "@azure-postgresql-auth/test-support/package-checks";
import { describe, expect, it } from "vitest";

describe("@azure/postgresql-auth-core exports", () => {
  it("loads through import and require with the same export list", () => {
    const { esm, cjs } = loadPackageExports(
      "@azure/postgresql-auth-core",
      fileURLToPath(new URL("..", import.meta.url)),
    );
    const expected = [
      "EntraAuthError",
      "createEntraLogin",
      "createEntraTokenSource",
      "decodeTokenClaims",
      "isLoopbackHost",
      "logger",
      "redactTokens",
      "resolveRoleName",
    ];
    expect(esm).toEqual(expected);
    expect(cjs).toEqual(expected);
  });
});
