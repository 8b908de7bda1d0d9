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
  host?: string | null;
  user?: string | null;
  database?: string | null;
  port?: number | string | null;
  /** What pg will use for TLS: `false` means no TLS (from `ssl`, `sslmode` in the connection string, or `PGSSLMODE`). */
  ssl?: unknown;
}
