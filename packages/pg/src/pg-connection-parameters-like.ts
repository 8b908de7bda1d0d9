/**
 * The part of pg's `ConnectionParameters` that the password function reads. pg ≥ 8.19 passes
 * them to a password function; older versions pass nothing.
 *
 * @example
 * ```ts
 * import type { PgConnectionParametersLike } from "@azure/postgresql-auth-pg";
 * const params: PgConnectionParametersLike = { host: "myserver.postgres.database.azure.com" };
 * ```
 */
export interface PgConnectionParametersLike {
  /** Server host name pg will connect to. */
  host?: string | null;
  /** Role name pg will log in as. */
  user?: string | null;
  /** Database pg will connect to. */
  database?: string | null;
  /** Server port pg will connect to. */
  port?: number | string | null;
  /** What pg will use for TLS: `false` means no TLS (from `ssl`, `sslmode` in the connection string, or `PGSSLMODE`). */
  ssl?: unknown;
}
