import { describe, expect, it } from "vitest";
import { EntraAuthError } from "../src/index.js";
import { resolveScopes } from "../src/resolve-scopes.js";

describe("resolveScopes", () => {
  it("defaults to the public cloud scope", () => {
    expect(resolveScopes()).toEqual(["https://ossrdbms-aad.database.windows.net/.default"]);
    expect(resolveScopes({ host: "localhost" })).toEqual(["https://ossrdbms-aad.database.windows.net/.default"]);
  });

  it("picks the scope of the host's cloud", () => {
    expect(resolveScopes({ host: "a.postgres.database.usgovcloudapi.net" })).toEqual([
      "https://ossrdbms-aad.database.usgovcloudapi.net/.default",
    ]);
    expect(resolveScopes({ host: "a.postgres.database.chinacloudapi.cn" })).toEqual([
      "https://ossrdbms-aad.database.chinacloudapi.cn/.default",
    ]);
  });

  it("lets an explicit scope win over the host", () => {
    expect(resolveScopes({ scope: "api://custom/.default", host: "a.postgres.database.usgovcloudapi.net" })).toEqual([
      "api://custom/.default",
    ]);
    expect(resolveScopes({ scope: ["a/.default", "b/.default"] })).toEqual(["a/.default", "b/.default"]);
  });

  it.each([[""], ["   "], [[]], [[""]], [["ok", 7]], [42]])("refuses scope %j with INVALID_SCOPE", (scope) => {
    let caught: unknown;
    try {
      resolveScopes({ scope: scope as string });
    } catch (err) {
      caught = err;
    }
    expect(EntraAuthError.isInstance(caught)).toBe(true);
    expect((caught as EntraAuthError).code).toBe("INVALID_SCOPE");
    expect((caught as EntraAuthError).message).toMatch(/scope option/);
  });
});
