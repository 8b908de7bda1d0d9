/**
 * The connection settings a Sequelize `beforeConnect` hook receives and may change.
 * Sequelize v6 names the user `username`; Sequelize v7 (`@sequelize/core`) names it `user`.
 *
 * @example
 * ```ts
 * import type { SequelizeConnectionConfigLike } from "@azure/postgresql-auth-sequelize";
 * const config: SequelizeConnectionConfigLike = { host: "db.postgres.database.azure.com", username: "alice@contoso.com" };
 * ```
 */
export interface SequelizeConnectionConfigLike {
  /** Server host name; the hook fills it from `PGHOST` when unset. */
  host?: string | null;
  /** Role name (Sequelize's name); the hook sets it from the token unless you set it. */
  username?: string | null;
  /** Role name (pg's name); kept in step with `username`. */
  user?: string | null;
  /** The hook sets it to a fresh access token before every connection. */
  password?: unknown;
  /** Server port. */
  port?: number | string | null;
  /** Sequelize v7: pg's TLS setting. */
  ssl?: unknown;
  /** Sequelize v6: pg's TLS setting is `dialectOptions.ssl`. */
  dialectOptions?: { ssl?: unknown; [option: string]: unknown } | null;
}

/**
 * Anything with a Sequelize hook API that {@link configureEntraAuthentication} can attach to: a
 * Sequelize v6 or v7 instance, or any object with a `beforeConnect(callback)` method (the shape
 * Microsoft's `@azure/postgresql-auth` accepts) or an `addHook("beforeConnect", callback)` method.
 * Typed by shape, so this package does not depend on Sequelize.
 *
 * @example
 * ```ts
 * import type { SequelizeBeforeConnectHook } from "@azure/postgresql-auth-sequelize";
 * const listeners: Array<(config: { username?: string | null; password?: unknown }) => Promise<void>> = [];
 * const custom: SequelizeBeforeConnectHook = { beforeConnect: (callback) => void listeners.push(callback) };
 * ```
 */
export type SequelizeBeforeConnectHook =
  | { beforeConnect(callback: (config: SequelizeConnectionConfigLike) => Promise<void>): unknown }
  | { addHook(hookType: "beforeConnect", callback: (config: SequelizeConnectionConfigLike) => Promise<void>): unknown }
  | {
      hooks: {
        addListener(
          hookName: "beforeConnect",
          callback: (config: SequelizeConnectionConfigLike) => Promise<void>,
        ): unknown;
      };
    };
