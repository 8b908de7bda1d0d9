import type { PgErrorFields } from "./wire-protocol.js";

/**
 * Whether the server refused a login because the token had expired by its clock: SQLSTATE 28000
 * (or 28P01) with Azure's text ("The access token has expired. Please acquire a new token and
 * retry.") or another wording of token expiry ("token is expired", "expired token",
 * `AAD_AUTH_EXPIRED`). Matched loosely on the wording, never on other refusals (audience, format,
 * not yet valid, wrong principal). Sees the server's message only, never a token.
 */
export function isExpiredTokenRefusal(error: Pick<PgErrorFields, "code" | "message">): boolean {
  if (error.code !== "28000" && error.code !== "28P01") return false;
  return /\btoken\b[^.]*?\bexpired\b|\bexpired\b[^.]*?\btoken\b|\btoken_?expired\b|\bAAD_AUTH_EXPIRED\b/i.test(
    error.message,
  );
}
