import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { EntraAuthError } from "../src/index.js";

describe("EntraAuthError", () => {
  it("carries name, code, message and cause", () => {
    const cause = new Error("inner");
    const error = new EntraAuthError("TOKEN_ACQUISITION_FAILED", "outer", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("EntraAuthError");
    expect(error.code).toBe("TOKEN_ACQUISITION_FAILED");
    expect(error.message).toBe("outer");
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: "EntraAuthError", code: "TOKEN_ACQUISITION_FAILED" });
  });

  it("isInstance recognises errors from another copy of the package, instanceof does not", () => {
    // The CommonJS build is a second copy of the class, as a duplicated dependency would be.
    const other = createRequire(import.meta.url)("../dist/cjs/index.js") as { EntraAuthError: typeof EntraAuthError };
    expect(other.EntraAuthError).not.toBe(EntraAuthError);
    const foreign = new other.EntraAuthError("INVALID_SCOPE", "x");
    expect(foreign instanceof EntraAuthError).toBe(false);
    expect(EntraAuthError.isInstance(foreign)).toBe(true);
  });

  it("isInstance is false for other values", () => {
    for (const value of [new Error("x"), { code: "INVALID_SCOPE" }, null, undefined, "EntraAuthError"]) {
      expect(EntraAuthError.isInstance(value)).toBe(false);
    }
  });
});
