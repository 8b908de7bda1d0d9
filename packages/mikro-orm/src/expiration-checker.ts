/**
 * Knex's `expirationChecker` for a token: true from a margin before its expiry (30 s, at most a
 * quarter of the time it had left when it was handed out, so a fresh token never reads as expired).
 */
export function expirationChecker(expiresOnTimestamp: number, now = Date.now()): () => boolean {
  const refreshAt = expiresOnTimestamp - Math.min(30_000, Math.max(0, expiresOnTimestamp - now) / 4);
  return () => Date.now() >= refreshAt;
}
