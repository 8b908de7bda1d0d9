const jwtLike = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/**
 * Replaces anything shaped like a JWT in a text with `[redacted token]`. Used on messages that
 * come from outside (a credential's error) before they become part of our own messages.
 *
 * @example
 * ```ts
 * import { DEFAULT_SCOPE, redactTokens } from "@azure/postgresql-auth-core";
 * try {
 *   await credential.getToken(DEFAULT_SCOPE);
 * } catch (err) {
 *   console.error(redactTokens(String(err))); // safe to log
 * }
 * ```
 */
export function redactTokens(text: string): string {
  return text.replace(jwtLike, "[redacted token]");
}
