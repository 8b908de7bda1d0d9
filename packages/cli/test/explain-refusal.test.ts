import { describe, expect, it } from "vitest";
import { createProxyLogger, explainRefusal } from "../src/index.js";

const refusal = (message: string, code = "28000") => ({ severity: "FATAL", code, message });

describe("explainRefusal: Azure's texts → kind and fix", () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ["The access token has expired. Please acquire a new token and retry.", "28000", "expired", /clock/],
    ["The access token is not yet valid. Please acquire a new token and retry.", "28000", "not-yet-valid", /clock/],
    [
      'The access token does not have a valid audience claim. Please acquire a new token for the resource "https://ossrdbms-aad.database.windows.net".',
      "28000",
      "wrong-audience",
      /--scope/,
    ],
    [
      "The access token has invalid format. Please ensure the token is passed exactly as returned by the authentication endpoint and retry.",
      "28000",
      "invalid-format",
      /azure-postgresql-auth token/,
    ],
    ['password authentication failed for user "nobody"', "28P01", "unknown-role", /whoami/],
    [
      'The access token belongs to another principal: role "alice@contoso.com" is mapped to object id a, but the token was issued to b.',
      "28000",
      "another-principal",
      /Connect as "orders-api-identity"/,
    ],
    ['database "nope" does not exist', "3D000", "no-database", /dbname/],
    ["something else", "XX000", "other", /XX000/],
  ];
  for (const [message, code, kind, fix] of cases) {
    it(kind, () => {
      const explained = explainRefusal(refusal(message, code), {
        role: "alice@contoso.com",
        tokenRole: "orders-api-identity",
      });
      expect(explained.kind).toBe(kind);
      expect(explained.fix).toMatch(fix);
    });
  }
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
