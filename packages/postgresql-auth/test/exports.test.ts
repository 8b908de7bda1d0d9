import { fileURLToPath } from "node:url";
import { loadPackageExports } from "@azure-postgresql-auth/test-support/package-checks";
import { describe, expect, it } from "vitest";
import {
  configureEntraAuthentication,
  EntraAuthError,
  type EntraAuthErrorCode,
  entraTokenProvider,
} from "../src/index.js";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("@azure/postgresql-auth exports", () => {
  it("has the run-time exports of Microsoft's 1.0.0-beta.1 plus EntraAuthError, through import and require", () => {
    const ours = loadPackageExports("@azure/postgresql-auth", here);
    const microsoft = loadPackageExports("ms-postgresql-auth", here);
    expect(microsoft.esm).toEqual(["configureEntraAuthentication", "entraTokenProvider"]);
    expect(ours.esm).toEqual(["EntraAuthError", ...microsoft.esm]);
    expect(ours.cjs).toEqual(["EntraAuthError", ...microsoft.cjs]);
  });

  it("EntraAuthError is the class of the errors its functions throw, with a code of EntraAuthErrorCode", () => {
    const codes: EntraAuthErrorCode[] = [];
    for (const call of [
      () => entraTokenProvider({} as never),
      () => configureEntraAuthentication({} as never, { getToken: async () => null }),
    ]) {
      try {
        call();
        expect.unreachable("bad input must throw at set-up");
      } catch (error) {
        expect(error).toBeInstanceOf(EntraAuthError);
        expect(EntraAuthError.isInstance(error)).toBe(true);
        codes.push((error as EntraAuthError).code);
      }
    }
    expect(codes).toEqual(["CREDENTIAL_REQUIRED", "INVALID_OPTION"]);
  });
});
