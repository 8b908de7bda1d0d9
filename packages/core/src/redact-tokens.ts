/** Runs of characters a JWT is made of (base64url and dots). Matched greedily, so the scan is linear. */
const tokenCharacters = /[A-Za-z0-9_.-]+/g;

/**
 * Replaces anything shaped like a JWT (`eyJ…` header, payload, signature) in a text with
 * `[redacted token]`. Used on messages that come from outside (a credential's error) before they
 * become part of our own messages. Linear in the text's length: a 1 MB text takes milliseconds.
 *
 * @example
 * ```ts
 * import { redactTokens } from "@azure/postgresql-auth-core/internal";
 * try {
 *   await credential.getToken("https://ossrdbms-aad.database.windows.net/.default");
 * } catch (err) {
 *   console.error(redactTokens(String(err))); // safe to log
 * }
 * ```
 *
 * @internal
 */
export function redactTokens(text: string): string {
  if (typeof text !== "string") return text;
  if (!text.includes("eyJ")) return text;
  return text.replace(tokenCharacters, redactRun);
}

/**
 * One run of base64url characters and dots: its dot-separated segments are scanned once. A JWT is
 * a segment containing `eyJ` plus at least 4 more characters (the header), a segment of at least 4
 * characters (the payload) and a segment that may be empty (the signature).
 */
function redactRun(run: string): string {
  if (!run.includes("eyJ")) return run;
  const segments = run.split(".");
  let out = "";
  let i = 0;
  while (i < segments.length) {
    const segment = segments[i]!;
    const start = segment.indexOf("eyJ");
    const isJwt = start >= 0 && segment.length - start >= 7 && i + 2 < segments.length && segments[i + 1]!.length >= 4;
    if (isJwt) {
      out += `${segment.slice(0, start)}[redacted token]`;
      i += 3;
    } else {
      out += segment;
      i += 1;
    }
    if (i < segments.length) out += ".";
  }
  return out;
}
