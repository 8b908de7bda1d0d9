import { fileURLToPath } from "node:url";
import { loadPackageExports } from "@azure-postgresql-auth/test-support/package-checks";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("@azure/postgresql-auth exports", () => {
  it("has exactly the run-time exports of Microsoft's 1.0.0-beta.1, through import and require", () => {
    const ours = loadPackageExports("@azure/postgresql-auth", here);
    const microsoft = loadPackageExports("ms-postgresql-auth", here);
    expect(microsoft.esm).toEqual(["configureEntraAuthentication", "entraTokenProvider"]);
    expect(ours.esm).toEqual(microsoft.esm);
    expect(ours.cjs).toEqual(microsoft.cjs);
  });
});
