import {
  assertRoleNameOptions,
  assertTokenCredential,
  createEntraTokenSource,
  EntraAuthError,
  type GetEntraTokenPasswordOptions,
  insecureConnectionError,
  resolveRoleName,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import type { SequelizeBeforeConnectHook, SequelizeConnectionConfigLike } from "./sequelize-before-connect-hook.js";

/**
 * Options of {@link configureEntraAuthentication}.
 *
 * @example
 * ```ts
 * import type { ConfigureEntraAuthenticationOptions } from "@azure/postgresql-auth-sequelize";
 * const options: ConfigureEntraAuthenticationOptions = { username: "db-readers" }; // group login
 * ```
 */
export interface ConfigureEntraAuthenticationOptions extends GetEntraTokenPasswordOptions {
  /** The PostgreSQL role name to log in as, always (wins over everything else). */
  username?: string;
  /** Role name to use when neither the Sequelize configuration nor the token names one. */
  fallbackUsername?: string;
  /**
   * Allow sending the token over a connection without TLS when the server is on this machine: a
   * loopback address (`localhost`, `127.0.0.0/8`, `::1`) or a Unix socket, for example a local
   * authentication proxy that opens the TLS connection to Azure itself. Default `false`: the token
   * is sent only over TLS. It never allows plaintext to another host.
   */
  allowInsecureLoopback?: boolean;
}

type Listener = (config: SequelizeConnectionConfigLike) => Promise<void>;

/**
 * Registers a `beforeConnect` hook on a Sequelize instance (v6 `sequelize`, v7 `@sequelize/core`,
 * or anything with the same hook API) that, before every new physical connection, sets the
 * password to a fresh Entra ID access token and the user name to the resolved role name.
 *
 * Role name, first match wins: the `username` option; a user name you configured on the Sequelize
 * instance (for group login: the group's name); the token's `upn`, `preferred_username`,
 * `unique_name`; a managed identity's name from `xms_mirid`; `fallbackUsername`; `PGUSER`; the
 * token's `appid`. The scope follows `scope`, else the cloud of the configured host.
 * The credential and options are checked now and throw an `EntraAuthError` naming the fix.
 *
 * The token is a password the server receives in clear text, so a connection without TLS (v6: no
 * truthy `dialectOptions.ssl`; v7: no truthy `ssl`; in both cases unless `PGSSLMODE` asks pg for
 * TLS) fails with an `EntraAuthError` of code `INSECURE_CONNECTION` before any token is fetched.
 * For a server on this machine (a local proxy) set `allowInsecureLoopback: true`.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { configureEntraAuthentication } from "@azure/postgresql-auth-sequelize";
 * import { Sequelize } from "sequelize";
 *
 * const sequelize = new Sequelize({
 *   dialect: "postgres",
 *   host: process.env.PGHOST,
 *   database: process.env.PGDATABASE,
 *   dialectOptions: { ssl: { rejectUnauthorized: true } },
 * });
 * configureEntraAuthentication(sequelize, new DefaultAzureCredential());
 * await sequelize.authenticate();
 * ```
 */
export function configureEntraAuthentication(
  sequelize: SequelizeBeforeConnectHook,
  credential: TokenCredential,
  options: ConfigureEntraAuthenticationOptions = {},
): void {
  const register = beforeConnectRegistrar(sequelize);
  assertRoleNameOptions(options);
  assertTokenCredential(credential, "configureEntraAuthentication");
  const source = createEntraTokenSource(credential, options);
  const v7 = isSequelizeV7(sequelize);
  const namesUserField = v7 ? "user" : "username";
  const allowInsecureLoopback = options.allowInsecureLoopback ?? false;
  if (typeof allowInsecureLoopback !== "boolean") {
    throw new EntraAuthError(
      "INVALID_OPTION",
      `The allowInsecureLoopback option must be a boolean (got ${typeof allowInsecureLoopback}).`,
    );
  }
  // Sequelize v6 hands the hook the same config object every time, so our own earlier write is
  // still there: remember what we wrote and what the application had configured before it.
  const earlierWrites = new WeakMap<object, { wrote: string; configured: string | undefined }>();

  register(async (config) => {
    const refusal = insecureConnectionRefusal(config, v7, allowInsecureLoopback);
    if (refusal !== undefined) throw refusal;
    const field = "username" in config ? "username" : "user" in config ? "user" : namesUserField;
    const current = typeof config[field] === "string" ? (config[field] as string) : undefined;
    const earlier = earlierWrites.get(config);
    const configured = earlier && earlier.wrote === current ? earlier.configured : current;

    // With read replication, Sequelize runs this hook with each replica's own settings (v6: that
    // replica's config object, reused; v7: a fresh clone), so the host (hence the cloud and scope)
    // and a role configured on one replica are that replica's own.
    const host = typeof config.host === "string" ? config.host : undefined;
    const { token } = await source.getAccessToken(host !== undefined ? { host } : {});
    const { roleName } = resolveRoleName(token, {
      username: options.username,
      configuredUsername: configured,
      fallbackUsername: options.fallbackUsername,
    });

    config[field] = roleName;
    config.password = token;
    earlierWrites.set(config, { wrote: roleName, configured });
  });
}

function beforeConnectRegistrar(sequelize: unknown): (listener: Listener) => void {
  const target = sequelize as {
    beforeConnect?: unknown;
    addHook?: unknown;
    hooks?: { addListener?: unknown };
  } | null;
  // Sequelize v7 first: its legacy beforeConnect/addHook methods print a deprecation warning.
  if (target?.hooks && typeof target.hooks.addListener === "function") {
    const hooks = target.hooks;
    const addListener = hooks.addListener as (name: string, listener: Listener) => unknown;
    return (listener) => void addListener.call(hooks, "beforeConnect", listener);
  }
  if (target && typeof target.beforeConnect === "function") {
    const beforeConnect = target.beforeConnect as (listener: Listener) => unknown;
    return (listener) => void beforeConnect.call(target, listener);
  }
  if (target && typeof target.addHook === "function") {
    const addHook = target.addHook as (name: string, listener: Listener) => unknown;
    return (listener) => void addHook.call(target, "beforeConnect", listener);
  }
  throw new EntraAuthError(
    "INVALID_SEQUELIZE_INSTANCE",
    "configureEntraAuthentication: the first argument has no beforeConnect hook API. Pass your Sequelize " +
      "instance (new Sequelize(...) from sequelize v6 or @sequelize/core v7), or an object with a " +
      "beforeConnect(callback) or addHook('beforeConnect', callback) method.",
  );
}

function isSequelizeV7(sequelize: unknown): boolean {
  const hooks = (sequelize as { hooks?: { addListener?: unknown } } | null)?.hooks;
  return typeof hooks === "object" && hooks !== null && typeof hooks.addListener === "function";
}

/**
 * The error for a connection without TLS, or undefined when the token may be sent. What pg will
 * use as `ssl`: Sequelize v6 passes pg `dialectOptions.ssl` (its top-level `ssl` is ignored by the
 * postgres dialect), v7 passes the hook config itself; when that is undefined pg reads `PGSSLMODE`
 * (`disable` or unset: no TLS). A config with neither key (not from Sequelize) tells nothing, and
 * nothing is refused.
 */
function insecureConnectionRefusal(
  config: SequelizeConnectionConfigLike,
  v7: boolean,
  allowInsecureLoopback: boolean,
): EntraAuthError | undefined {
  let ssl: unknown;
  if (v7 || "ssl" in config) ssl = config.ssl;
  if (!v7 && "dialectOptions" in config) ssl = config.dialectOptions?.ssl;
  else if (!v7 && !("ssl" in config)) return undefined;
  const mode = process.env.PGSSLMODE;
  if (ssl === undefined)
    ssl = mode !== undefined && mode !== "disable" && /^(prefer|require|verify-ca|verify-full|no-verify)$/.test(mode);
  if (ssl) return undefined;
  const host =
    typeof config.host === "string" && config.host !== "" ? config.host : (process.env.PGHOST ?? "localhost");
  const where = host.startsWith("/") ? `the Unix socket in ${host}` : `${host}${config.port ? `:${config.port}` : ""}`;
  const setting = v7 ? "ssl" : "dialectOptions.ssl";
  return insecureConnectionError(
    host,
    allowInsecureLoopback,
    `configureEntraAuthentication refused to send an access token to ${where}: the connection does not use TLS`,
    `set Sequelize's ${setting} option to { rejectUnauthorized: true } (or PGSSLMODE=verify-full).`,
  );
}
