import {
  createEntraLogin,
  EntraAuthError,
  type EntraLoginOptions,
  type EntraLoginRequest,
  type TokenCredential,
} from "@azure/postgresql-auth-core";
import type { SequelizeBeforeConnectHook, SequelizeConnectionConfigLike } from "./sequelize-before-connect-hook.js";

/**
 * Options of {@link configureEntraAuthentication}: the role name rules, TLS (for a connection
 * without `ssl` of its own) and the token options shared by every adapter.
 *
 * @example
 * ```ts
 * import type { ConfigureEntraAuthenticationOptions } from "@azure/postgresql-auth-sequelize";
 * const options: ConfigureEntraAuthenticationOptions = { username: "db-readers" }; // group login
 * ```
 */
export interface ConfigureEntraAuthenticationOptions extends Omit<EntraLoginOptions, "env" | "host"> {
  /** Selects the cloud's scope for every server instead of each connection's own host. */
  host?: string;
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
 * TLS follows the core's one rule: the token only goes over TLS that verifies the server. A
 * connection without a TLS setting of its own (v6: no `dialectOptions.ssl`; v7: no `ssl`) gets
 * verified TLS (from the `sslmode` option, else `PGSSLMODE`, else `verify-full`); `ssl: false`,
 * `PGSSLMODE=disable` and TLS without certificate checks (`rejectUnauthorized: false`,
 * `no-verify`) fail with an `EntraAuthError` of code `INSECURE_CONNECTION` before any token is
 * fetched, unless `allowInsecureLoopback` (a server on this machine) or `allowUnverifiedTls` says
 * otherwise.
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
  const login = createEntraLogin(credential, options, "configureEntraAuthentication");
  const v7 = isSequelizeV7(sequelize);
  const namesUserField = v7 ? "user" : "username";
  // Sequelize v6 hands the hook the same config object every time, so our own earlier write is
  // still there: remember what we wrote and what the application had configured before it.
  const earlierWrites = new WeakMap<object, { wrote: string; configured: string | undefined }>();

  register(async (config) => {
    const field = "username" in config ? "username" : "user" in config ? "user" : namesUserField;
    const current = typeof config[field] === "string" ? (config[field] as string) : undefined;
    const earlier = earlierWrites.get(config);
    const configured = earlier && earlier.wrote === current ? earlier.configured : current;

    // With read replication, Sequelize runs this hook with each replica's own settings (v6: that
    // replica's config object, reused; v7: a fresh clone), so the host (hence the cloud and scope)
    // and a role configured on one replica are that replica's own.
    const tls = connectionTls(config, v7);
    const result = await login.login({
      host: config.host,
      driverDefaultHost: "localhost", // pg's, as Sequelize leaves the host to it
      port: config.port,
      tls,
      configuredUser: configured,
    });
    config[field] = result.user;
    config.password = result.password;
    earlierWrites.set(config, { wrote: result.user, configured });
    // No TLS setting of its own: pg gets the login's (verified by default) instead of PGSSLMODE's.
    if (tls === undefined && v7) config.ssl = result.ssl;
    else if (tls === undefined) config.dialectOptions = { ...config.dialectOptions, ssl: result.ssl };
  });
}

/**
 * The TLS pg will use, as Sequelize passes it: v6 hands pg `dialectOptions.ssl` (its top-level
 * `ssl` is ignored by the postgres dialect), v7 the hook config's `ssl`. `undefined` when there is
 * none (the login's default then applies, and is written back); `"unknown"` for a config with
 * neither key (a hook object that is not Sequelize's).
 */
function connectionTls(config: SequelizeConnectionConfigLike, v7: boolean): EntraLoginRequest["tls"] {
  if (v7) return config.ssl === undefined ? undefined : { ssl: config.ssl, setting: "Sequelize's ssl option" };
  if ("dialectOptions" in config) {
    const ssl = config.dialectOptions?.ssl;
    return ssl === undefined ? undefined : { ssl, setting: "Sequelize's dialectOptions.ssl" };
  }
  return "ssl" in config ? { ssl: config.ssl, setting: "ssl" } : "unknown";
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
    "INVALID_OPTION",
    "configureEntraAuthentication: the first argument has no beforeConnect hook API. Pass your Sequelize " +
      "instance (new Sequelize(...) from sequelize v6 or @sequelize/core v7), or an object with a " +
      "beforeConnect(callback) or addHook('beforeConnect', callback) method.",
  );
}

function isSequelizeV7(sequelize: unknown): boolean {
  const hooks = (sequelize as { hooks?: { addListener?: unknown } } | null)?.hooks;
  return typeof hooks === "object" && hooks !== null && typeof hooks.addListener === "function";
}
