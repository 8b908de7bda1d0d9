/**
 * Knex's `expirationChecker` for a token (also used by MikroORM's dynamic password): it returns
 * true from a margin before `expiresOnTimestamp` (30 s, but at most a quarter of the time the token
 * had left when the checker was made, so a fresh token never reads as expired at once, which
 * would make Knex throw).
 *
 * @example
 * ```ts
 * import { createExpirationChecker } from "@azure/postgresql-auth-core";
 * const expired = createExpirationChecker(Date.now() + 60 * 60_000);
 * expired(); // false for the next 59.5 minutes
 * ```
 */
export function createExpirationChecker(expiresOnTimestamp: number): () => boolean {
  const now = Date.now();
  const refreshAt = expiresOnTimestamp - Math.min(30_000, Math.max(0, expiresOnTimestamp - now) / 4);
  return () => Date.now() >= refreshAt;
}
