import { describe, expect, it } from "vitest";
import { isExpiredTokenRefusal } from "../src/expired-token-refusal.js";

describe("isExpiredTokenRefusal", () => {
  it.each([
    ["28000", "The access token has expired. Please acquire a new token and retry."], // Azure's text
    ["28000", "the access token has EXPIRED"],
    ["28000", "Token is expired"],
    ["28000", "token expired at 2026-11-29T12:00:00Z"],
    ["28000", "The access token expired"],
    ["28P01", "expired access token"],
    ["28000", "Login failed: AAD_AUTH_EXPIRED"],
  ])("recognises %s %j", (code, message) => {
    expect(isExpiredTokenRefusal({ code, message })).toBe(true);
  });

  it.each([
    [
      "28000",
      'The access token does not have a valid audience claim. Please acquire a new token for the resource "x".',
    ],
    [
      "28000",
      "The access token has invalid format. Please ensure the token is passed exactly as returned by the authentication endpoint and retry.",
    ],
    ["28000", "The access token is not yet valid. Please acquire a new token and retry."],
    ["28000", "An error occurred while validating the access token. Please acquire a new token and retry."],
    ["28P01", 'password authentication failed for user "alice@contoso.com"'],
    ["28000", 'the access token belongs to another principal than role "x"'],
    ["3D000", 'database "expired token" does not exist'],
    ["57P01", "terminating connection: password expired"],
  ])("leaves other refusals alone: %s %j", (code, message) => {
    expect(isExpiredTokenRefusal({ code, message })).toBe(false);
  });
});
