import { AzureLogger, setLogLevel } from "@azure/logger";
import { alice, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { afterEach, describe, expect, it } from "vitest";
import { EntraAuthError } from "../src/index.js";
import { resolveRoleName } from "../src/internal.js";

const azureCli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const tokens = {
  user: fakeJwt({ ...alice, preferred_username: "alice@contoso.com", unique_name: "alice@contoso.com" }),
  guest: fakeJwt({ preferred_username: "bob@fabrikam.com", unique_name: "live.com#bob@fabrikam.com", appid: azureCli }),
  guestV1: fakeJwt({ unique_name: "carol@fabrikam.com", appid: azureCli }),
  userAssignedIdentity: fakeJwt({
    appid: "5b0e8b2e-0000-4000-8000-000000000001",
    oid: "22222222-2222-2222-2222-222222222222",
    xms_mirid:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api-identity",
  }),
  systemAssignedIdentity: fakeJwt({
    appid: "5b0e8b2e-0000-4000-8000-000000000002",
    xms_mirid:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/orders-web",
  }),
  servicePrincipal: fakeJwt({
    appid: "7d2b1c55-0000-4000-8000-000000000003",
    oid: "33333333-3333-3333-3333-333333333333",
  }),
  noName: fakeJwt({ oid: "44444444-4444-4444-4444-444444444444" }),
};

const noEnv = { env: {} };

describe("resolveRoleName: the claim table", () => {
  it.each([
    ["user", tokens.user, "alice@contoso.com", "upn"],
    ["guest without upn (v2)", tokens.guest, "bob@fabrikam.com", "preferred_username"],
    ["guest without upn (v1)", tokens.guestV1, "carol@fabrikam.com", "unique_name"],
    ["user-assigned managed identity", tokens.userAssignedIdentity, "orders-api-identity", "xms_mirid"],
    ["system-assigned managed identity", tokens.systemAssignedIdentity, "orders-web", "xms_mirid"],
    ["service principal", tokens.servicePrincipal, "7d2b1c55-0000-4000-8000-000000000003", "appid"],
  ])("%s", (_kind, token, roleName, source) => {
    expect(resolveRoleName(token, noEnv)).toEqual({ roleName, source });
  });

  it("group login: the group's name given explicitly wins over the member's upn", () => {
    expect(resolveRoleName(tokens.user, { ...noEnv, username: "db-readers" })).toEqual({
      roleName: "db-readers",
      source: "username",
    });
    expect(resolveRoleName(tokens.user, { ...noEnv, configuredUsername: "db-readers" })).toEqual({
      roleName: "db-readers",
      source: "configured",
    });
  });
});

describe("resolveRoleName: order of the rules", () => {
  it("username wins over a configured user name", () => {
    expect(resolveRoleName(tokens.user, { username: "a", configuredUsername: "b" }).roleName).toBe("a");
  });

  it("does not need a JWT when the name is given", () => {
    expect(resolveRoleName("not-a-jwt", { username: "alice@contoso.com" }).roleName).toBe("alice@contoso.com");
    expect(resolveRoleName("not-a-jwt", { configuredUsername: "db-readers" }).roleName).toBe("db-readers");
  });

  it("prefers a token's user name over fallbackUsername and PGUSER", () => {
    expect(resolveRoleName(tokens.user, { fallbackUsername: "fb", env: { PGUSER: "pg" } }).roleName).toBe(
      "alice@contoso.com",
    );
  });

  it("prefers the managed identity name over fallbackUsername", () => {
    expect(resolveRoleName(tokens.userAssignedIdentity, { fallbackUsername: "fb" }).roleName).toBe(
      "orders-api-identity",
    );
  });

  it("uses fallbackUsername, then PGUSER, before appid", () => {
    expect(
      resolveRoleName(tokens.servicePrincipal, { fallbackUsername: "reporting-app", env: { PGUSER: "pg" } }),
    ).toEqual({
      roleName: "reporting-app",
      source: "fallbackUsername",
    });
    expect(resolveRoleName(tokens.servicePrincipal, { env: { PGUSER: "reporting-role" } })).toEqual({
      roleName: "reporting-role",
      source: "PGUSER",
    });
  });

  it("reads PGUSER from process.env by default", () => {
    const saved = process.env.PGUSER;
    process.env.PGUSER = "from-process-env";
    try {
      expect(resolveRoleName(tokens.servicePrincipal).roleName).toBe("from-process-env");
    } finally {
      if (saved === undefined) delete process.env.PGUSER;
      else process.env.PGUSER = saved;
    }
  });

  it("ignores empty and blank values", () => {
    expect(
      resolveRoleName(fakeJwt({ upn: " ", appid: "app" }), {
        username: "",
        fallbackUsername: " ",
        env: { PGUSER: "" },
      }),
    ).toEqual({
      roleName: "app",
      source: "appid",
    });
  });
});

describe("resolveRoleName: errors", () => {
  it("says what was tried when nothing resolves", () => {
    let caught: unknown;
    try {
      resolveRoleName(tokens.noName, noEnv);
    } catch (err) {
      caught = err;
    }
    expect(EntraAuthError.isInstance(caught)).toBe(true);
    const error = caught as EntraAuthError;
    expect(error.code).toBe("ROLE_NAME_UNRESOLVED");
    for (const tried of ["username option", "upn", "xms_mirid", "fallbackUsername", "PGUSER", "appid"]) {
      expect(error.message).toContain(tried);
    }
  });

  it.each(["not-a-jwt", "a.b.c", "x.eyJub3QganNvbg.y", `${"e30"}.${Buffer.from("[1]").toString("base64url")}.s`])(
    "refuses %s as not a JWT, without echoing it",
    (token) => {
      let caught: unknown;
      try {
        resolveRoleName(token, noEnv);
      } catch (err) {
        caught = err;
      }
      expect((caught as EntraAuthError).code).toBe("TOKEN_NOT_JWT");
      expect((caught as EntraAuthError).message).toMatch(/username option/);
      expect((caught as EntraAuthError).message).not.toContain(token);
    },
  );
});

describe("resolveRoleName: logging", () => {
  const saved = AzureLogger.log;
  afterEach(() => {
    AzureLogger.log = saved;
    setLogLevel();
  });

  it("logs each decision at verbose level, never the token", () => {
    const lines: string[] = [];
    AzureLogger.log = (...args: unknown[]) => void lines.push(args.join(" "));
    setLogLevel("verbose");
    resolveRoleName(tokens.userAssignedIdentity, noEnv);
    resolveRoleName(tokens.servicePrincipal, { env: { PGUSER: "reporting-role" } });
    expect(lines.join("\n")).toMatch(
      /Role name "orders-api-identity" from the managed identity's name in the token's xms_mirid claim/,
    );
    expect(lines.join("\n")).toMatch(/Role name "reporting-role" from the PGUSER environment variable/);
    for (const token of [tokens.userAssignedIdentity, tokens.servicePrincipal]) {
      expect(lines.join("\n")).not.toContain(token.split(".")[1]);
    }
  });
});
