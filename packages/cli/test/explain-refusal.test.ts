import { anotherPrincipalMessage, NOT_YET_VALID_MESSAGE, notGroupMemberMessage } from "@azure/postgresql-auth-emulator";
import { describe, expect, it } from "vitest";
import { createProxyLogger, explainRefusal } from "../src/index.js";

const refusal = (message: string, code = "28000") => ({ severity: "FATAL", code, message });
const context = { role: "alice@contoso.com", tokenRole: "orders-api-identity" };

describe("explainRefusal: Azure's texts, as public sources quote them → kind and fix", () => {
  const cases: Array<[string, string, string, RegExp]> = [
    // https://github.com/darold/ora2pg/issues/1851
    ["The access token has expired. Please acquire a new token and retry.", "28000", "expired", /clock/],
    // https://github.com/microsoft/azuredatastudio-postgresql/issues/505
    [
      'The access token does not have a valid audience claim. Please acquire a new token for the resource "https://ossrdbms-aad.database.windows.net".',
      "28000",
      "wrong-audience",
      /--scope/,
    ],
    // https://github.com/Azure-Samples/rag-postgres-openai-python/issues/161
    [
      "The access token has invalid format. Please ensure the token is passed exactly as returned by the authentication endpoint and retry.",
      "28000",
      "invalid-format",
      /azure-postgresql-auth token/,
    ],
    // https://learn.microsoft.com/azure/app-service/tutorial-connect-msi-azure-database (FAQ)
    ["SSL connection is required. Please specify SSL options and retry.", "28000", "ssl-required", /verify-full/],
  ];
  for (const [message, code, kind, fix] of cases) {
    it(kind, () => {
      const explained = explainRefusal(refusal(message, code), context);
      expect(explained.kind).toBe(kind);
      expect(explained.fix).toMatch(fix);
    });
  }
});

describe("explainRefusal: PostgreSQL's texts, by SQLSTATE", () => {
  it("28P01: no such Entra role, with the token's own role name", () => {
    const explained = explainRefusal(refusal('password authentication failed for user "nobody"', "28P01"), context);
    expect(explained).toMatchObject({ kind: "unknown-role" });
    expect(explained.fix).toMatch(/connect with user=orders-api-identity/);
    expect(explained.fix).toMatch(/whoami/);
  });

  it("3D000: no such database", () => {
    expect(explainRefusal(refusal('database "nope" does not exist', "3D000"), context)).toMatchObject({
      kind: "no-database",
      fix: expect.stringMatching(/dbname/),
    });
  });

  it("anything else is other, with its SQLSTATE", () => {
    expect(explainRefusal(refusal("something else", "XX000"), context)).toMatchObject({
      kind: "other",
      fix: expect.stringMatching(/XX000/),
    });
  });
});

describe("explainRefusal: the emulator's own texts (Azure's are not public), as the emulator words them", () => {
  it("a token of another principal", () => {
    const explained = explainRefusal(refusal(anotherPrincipalMessage("alice@contoso.com")), context);
    expect(explained.kind).toBe("another-principal");
    expect(explained.fix).toMatch(/Connect as "orders-api-identity"/);
  });

  it("a token of a principal outside the group", () => {
    expect(explainRefusal(refusal(notGroupMemberMessage("db-readers")), context).kind).toBe("not-group-member");
  });

  it("a token that is not valid yet", () => {
    expect(explainRefusal(refusal(NOT_YET_VALID_MESSAGE), context)).toMatchObject({
      kind: "not-yet-valid",
      fix: expect.stringMatching(/clock/),
    });
  });

  it("only as the emulator words them: the same words elsewhere in a message are another refusal", () => {
    const reworded = `login refused: ${anotherPrincipalMessage("alice@contoso.com")}`;
    expect(explainRefusal(refusal(reworded), context).kind).toBe("other");
  });
});

describe("createProxyLogger", () => {
  const jwt = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"oid":"x"}').toString("base64url")}.c2lnbmF0dXJlc2lnbmF0dXJl`;
  it("redacts anything token-shaped, in text and JSON lines", () => {
    const lines: string[] = [];
    for (const json of [false, true]) {
      const logger = createProxyLogger({ json, level: "debug", write: (l) => lines.push(l) });
      logger.log("error", "credential_failed", { error: `bad token ${jwt} here` });
    }
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(jwt.split(".")[1]);
      expect(line).toContain("[redacted token]");
    }
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "error", event: "credential_failed" });
  });

  it("drops events below the level", () => {
    const lines: string[] = [];
    const logger = createProxyLogger({ level: "warn", write: (l) => lines.push(l) });
    logger.log("info", "listening");
    logger.log("warn", "login_refused", { role: "r" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ WARN login_refused role=r\n$/);
  });
});
