import { fileURLToPath } from "node:url";
import { loadPackageExports } from "@azure-postgresql-auth/test-support/package-checks";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("@azure/postgresql-auth-core exports", () => {
  it("loads through import and require with the same export list: the policy, the token source and the error", () => {
    const { esm, cjs } = loadPackageExports("@azure/postgresql-auth-core", packageDir);
    const expected = ["EntraAuthError", "createEntraLogin", "createEntraTokenSource"];
    expect(esm).toEqual(expected);
    expect(cjs).toEqual(expected);
  });

  it("lists what every adapter re-exports at the adapter-exports subpath (the types only in its API report)", () => {
    const { esm, cjs } = loadPackageExports("@azure/postgresql-auth-core/adapter-exports", packageDir);
    expect(esm).toEqual(["EntraAuthError"]);
    expect(cjs).toEqual(["EntraAuthError"]);
  });

  it("keeps the plumbing our own packages share at the internal subpath, through import and require", () => {
    const { esm, cjs } = loadPackageExports("@azure/postgresql-auth-core/internal", packageDir);
    const expected = ["decodeTokenClaims", "isLoopbackHost", "logger", "redactTokens", "resolveRoleName"];
    expect(esm).toEqual(expected);
    expect(cjs).toEqual(expected);
  });
});
