import type { TokenCredential } from "@azure/core-auth";
import { assertTokenCredential } from "./assert-token-credential.js";
import { cloudFromHost } from "./azure-clouds.js";
import { ConnectionPlanCache } from "./connection-plan-cache.js";
import { EntraAuthError } from "./entra-auth-error.js";
import { createEntraTokenSource, type EntraTokenRequestContext, type EntraTokenSource } from "./entra-token-source.js";
import type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
import { invalidOption } from "./invalid-option.js";
import { logger } from "./logger.js";
import { assertRoleNameOptions, type RoleNameSource, resolveRoleName } from "./resolve-role-name.js";
import {
  type EntraConnectionTls,
  type EntraLoginTlsOptions,
  type EntraTlsOptions,
  readCaFile,
  resolveTlsOptions,
  sslModes,
} from "./resolve-tls-options.js";

/**
 * Everything that decides a login, set once: where tokens come from (scope, tenant, cache,
 * timeout), the role name rules, the TLS rule and the environment to read `PGHOST`, `PGUSER`,
 * `PGSSLMODE` and `PGSSLROOTCERT` from.
 *
 * @example
 * ```ts
 * import type { EntraLoginOptions } from "@azure/postgresql-auth-core";
 * const options: EntraLoginOptions = { host: "myserver.postgres.database.azure.com", fallbackUsername: "orders-api" };
 * ```
 */
export interface EntraLoginOptions extends Omit<GetEntraTokenPasswordOptions, "host">, EntraLoginTlsOptions {
  /**
   * The server host, or several (postgres.js's `"a,b"` form or an array). A connection's own host
   * wins for the TLS rule; this one also selects the cloud's scope (useful when connecting through
   * an IP address or a private DNS alias). Default: the connection's host, else `PGHOST`.
   */
  host?: string | readonly string[];
  /** The PostgreSQL role name to log in as, always (wins over everything else). */
  username?: string;
  /** Role name to use when neither the driver's configuration nor the token names one. */
  fallbackUsername?: string;
  /**
   * Where `PGHOST`, `PGUSER`, `PGSSLMODE` and `PGSSLROOTCERT` are read. Default `process.env`. The
   * local auth proxy passes `{}`: its own environment describes the client's hop, not the server.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * One connection, as the adapter translates it from the driver's settings.
 *
 * @example
 * ```ts
 * import type { EntraLoginRequest } from "@azure/postgresql-auth-core";
 * const request: EntraLoginRequest = { host: "myserver.postgres.database.azure.com", port: 5432, tls: { ssl: true } };
 * ```
 */
export interface EntraLoginRequest {
  /** The host the driver connects to (several for postgres.js). Default: the login's `host`, else `PGHOST`. */
  host?: string | readonly string[] | null | undefined;
  /** The driver's own default host, when neither the connection, the `host` option nor `PGHOST` names one (pg's `localhost`). */
  driverDefaultHost?: string | undefined;
  /** The port, for messages. */
  port?: number | string | null | undefined;
  /** The TLS the driver will use; see {@link EntraConnectionTls}. Left out: the login's `sslmode`, else `PGSSLMODE`, else `verify-full`. */
  tls?: EntraConnectionTls | undefined;
  /** A user name configured on the driver (a group's role name): used unless the `username` option is set. */
  configuredUser?: string | null | undefined;
  /** Aborts this caller's wait for a token. */
  abortSignal?: AbortSignal | undefined;
}

/**
 * What a connection needs before any token: its host(s) and the TLS the driver must use.
 *
 * @example
 * ```ts
 * import { createEntraLogin, type EntraConnectionPlan } from "@azure/postgresql-auth-core";
 * const plan: EntraConnectionPlan = createEntraLogin(credential).prepare({ host: "db.postgres.database.azure.com" });
 * ```
 */
export interface EntraConnectionPlan {
  /** The host as the driver takes it (several joined with commas); `undefined` only for `tls: "unknown"`. */
  host: string | undefined;
  /** Each host, without a port. */
  hosts: readonly string[];
  /** TLS options that verify the server; `false` for plaintext allowed on loopback; `undefined` for `tls: "unknown"`. */
  ssl: EntraTlsOptions | false | undefined;
}

/**
 * The token for a connection, as its password, and when a driver that keeps the password for new
 * connections should ask again.
 *
 * @example
 * ```ts
 * import { createEntraLogin, type EntraPassword } from "@azure/postgresql-auth-core";
 * const { password, expiresOnTimestamp }: EntraPassword = await createEntraLogin(credential).password({ tls: { ssl: true } });
 * ```
 */
export interface EntraPassword extends EntraConnectionPlan {
  /** The access token: the password. Never log it. */
  password: string;
  /** When the token expires (milliseconds since the epoch). */
  expiresOnTimestamp: number;
  /**
   * From this time on, a driver that reuses the password for new connections (Knex, MikroORM)
   * should ask for a new one: 30 s before expiry, at most a quarter of the time the token had
   * left, so a fresh token never reads as stale at once.
   */
  reuseUntilTimestamp: number;
}

/**
 * A decided login: the role name and the token as its password.
 *
 * @example
 * ```ts
 * import { createEntraLogin, type EntraLoginResult } from "@azure/postgresql-auth-core";
 * const result: EntraLoginResult = await createEntraLogin(credential).login({ host: "db.postgres.database.azure.com" });
 * console.log(result.user, new Date(result.expiresOnTimestamp));
 * ```
 */
export interface EntraLoginResult extends EntraPassword {
  /** The PostgreSQL role name. */
  user: string;
  /** The rule that picked it (`username`, `configured`, `upn`, …, `appid`), for messages. */
  userSource: RoleNameSource;
}

/**
 * The login policy every adapter, the proxy and `check` share. Made by {@link createEntraLogin}.
 *
 * @example
 * ```ts
 * import { createEntraLogin, type EntraLogin } from "@azure/postgresql-auth-core";
 * const login: EntraLogin = createEntraLogin(credential);
 * const { user, password } = await login.login({ host: "db.postgres.database.azure.com", tls: { ssl: true } });
 * ```
 */
export interface EntraLogin {
  /**
   * The host(s) and the TLS decision for a connection, without a token: throws `INSECURE_CONNECTION`
   * (plaintext, or TLS that does not verify the server, outside the opt-ins) or `INVALID_OPTION`
   * (no host, hosts in different clouds without `scope`, a bad `sslmode`, an unreadable CA file).
   */
  prepare(request?: EntraLoginRequest): EntraConnectionPlan;
  /**
   * The role name for a connection: the `username` option, else the configured user, else from a
   * token by the role name rules (a token is fetched only then).
   */
  roleName(
    request?: Pick<EntraLoginRequest, "host" | "driverDefaultHost" | "configuredUser" | "abortSignal">,
  ): Promise<string>;
  /**
   * {@link EntraLogin.prepare}, then a token from the shared cache: for a driver whose user name
   * is set elsewhere. A refused connection requests no token.
   */
  password(request?: EntraLoginRequest): Promise<EntraPassword>;
  /** {@link EntraLogin.password} and the role name. A refused connection requests no token. */
  login(request?: EntraLoginRequest): Promise<EntraLoginResult>;
  /**
   * Drops the cached token, so that the next login fetches a fresh one: call it when the server
   * refuses a token as expired (SQLSTATE 28000, "The access token has expired": this machine's
   * clock is behind the server's). Pass the refused token when you have it: the cache then learns
   * the skew (later tokens count as expiring that much earlier), and a refusal that arrives after
   * another connection replaced that token changes nothing.
   */
  invalidate(refusedToken?: string): void;
}

/** Largest number of distinct CA files and host lists one login keeps decisions for. */
const maxRemembered = 16;

/**
 * Checks the credential and every option now (a mistake throws an {@link EntraAuthError} naming
 * the fix, at set-up rather than at the first connection) and returns the {@link EntraLogin} that
 * decides each connection the same way in every adapter:
 *
 * - host: the connection's, else the `host` option, else `PGHOST`; its cloud selects the scope;
 * - TLS: only TLS that verifies the server. Plaintext (`ssl: false`, `sslmode` `disable`/`allow`)
 *   is refused with `INSECURE_CONNECTION` unless every host is on this machine and
 *   `allowInsecureLoopback` is set; TLS without certificate checks (`rejectUnauthorized: false`,
 *   `no-verify`) likewise, unless `allowUnverifiedTls` is set. `prefer` and `require` verify too.
 *   A refused connection requests no token;
 * - token: from the shared cache (refresh-ahead, single-flight);
 * - role name: `username`; the user configured on the driver; the token's `upn`,
 *   `preferred_username`, `unique_name`; a managed identity's name; `fallbackUsername`; `PGUSER`;
 *   the token's `appid`.
 *
 * `caller` is the function your user called, named in error messages.
 *
 * @example
 * ```ts
 * import { createEntraLogin } from "@azure/postgresql-auth-core";
 * const login = createEntraLogin(credential, { fallbackUsername: "orders-api" }, "myDriverAuth");
 * async function connectionSettings(host: string) {
 *   const { user, password, ssl } = await login.login({ host }); // verified TLS by default
 *   return { host, user, password, ssl };
 * }
 * ```
 */
export function createEntraLogin(
  credential: TokenCredential,
  options: EntraLoginOptions = {},
  caller = "createEntraLogin",
): EntraLogin {
  assertTokenCredential(credential, caller);
  assertRoleNameOptions(options);
  const { host: hostOption, username, fallbackUsername, env: envOption, ...rest } = options;
  const { sslmode, sslrootcert, allowInsecureLoopback, allowUnverifiedTls, ...tokenOptions } = rest;
  const tlsSettings: EntraLoginTlsOptions = { sslmode, sslrootcert, allowInsecureLoopback, allowUnverifiedTls };
  assertLoginOptions(hostOption, envOption, tlsSettings);
  const configuredHosts = hostOption === undefined ? undefined : splitHosts(hostOption);
  const source: EntraTokenSource = createEntraTokenSource(credential, {
    ...tokenOptions,
    ...(configuredHosts?.[0] !== undefined && { host: configuredHosts[0] }),
  });
  const caFiles = new Map<string, string>();
  const readCa = (path: string): string => {
    let pem = caFiles.get(path);
    if (pem === undefined) {
      pem = readCaFile(path);
      if (caFiles.size < maxRemembered) caFiles.set(path, pem);
    }
    return pem;
  };
  let warnedUnverified = false;
  const plans = new ConnectionPlanCache(hostOption !== undefined, tlsSettings, maxRemembered);

  /** The host setting as the driver takes it (several joined with commas, ports kept) and each host alone. */
  const hostsOf = (request: EntraLoginRequest, env: Readonly<Record<string, string | undefined>>) => {
    const given = request.host ?? hostOption ?? env.PGHOST ?? request.driverDefaultHost;
    if (given === undefined || given === null) return { host: undefined, hosts: undefined };
    return { host: typeof given === "string" ? given : given.join(","), hosts: splitHosts(given) };
  };

  const prepare = (request: EntraLoginRequest = {}): EntraConnectionPlan => {
    if (typeof request !== "object" || request === null)
      throw invalidOption("request", "an object ({ host, port, tls, configuredUser })", request);
    const env = envOption ?? process.env;
    // Adapters ask on every new connection: a connection like an earlier one is a lookup.
    const key = plans.keyOf(request, env);
    const known = plans.get(key);
    if (known !== undefined) return { host: known.host, hosts: known.hosts, ssl: known.ssl };
    const plan = decide(request, env);
    plans.set(key, plan);
    return plan;
  };

  /** The plan of a connection not seen before (or no longer remembered); throws a refusal. */
  const decide = (request: EntraLoginRequest, env: Readonly<Record<string, string | undefined>>) => {
    const { host, hosts } = hostsOf(request, env);
    if (request.tls === "unknown") return { host, hosts: hosts ?? [], ssl: undefined };
    if (hosts === undefined || hosts.length === 0 || hosts.some((h) => h === "")) {
      throw new EntraAuthError(
        "INVALID_OPTION",
        `${caller}: no server host. Set the host option (or PGHOST) to the server's host name, e.g. myserver.postgres.database.azure.com.`,
      );
    }
    const clouds = new Set(hosts.map((h) => cloudFromHost(h) ?? "AzurePublicCloud"));
    if (clouds.size > 1 && tokenOptions.scope === undefined) {
      throw new EntraAuthError("INVALID_OPTION", `${caller}: the hosts are in different clouds; set the scope option.`);
    }
    const port = request.port === undefined || request.port === null || request.port === "" ? "" : `:${request.port}`;
    const where =
      hosts.length === 1 && hosts[0]!.startsWith("/") ? `the Unix socket in ${hosts[0]}` : `${hosts.join(",")}${port}`;
    const ssl = resolveTlsOptions({ tls: request.tls, hosts, where, settings: tlsSettings, env, caller, readCa });
    if (ssl !== false && ssl?.rejectUnauthorized === false && !warnedUnverified) {
      warnedUnverified = true;
      logger.warning(`${caller}: sending access tokens over TLS that does not verify the server (${where})`);
    }
    return { host, hosts, ssl };
  };

  const roleName = async (
    request: Pick<EntraLoginRequest, "host" | "driverDefaultHost" | "configuredUser" | "abortSignal"> = {},
  ): Promise<string> => {
    const env = envOption ?? process.env;
    const configuredUsername = typeof request.configuredUser === "string" ? request.configuredUser : undefined;
    const known = resolveKnownRole(username, configuredUsername);
    if (known !== undefined) return known;
    const { hosts } = hostsOf(request, env);
    const { token } = await source.getAccessToken(context(hosts?.[0], request.abortSignal));
    return resolveRoleName(token, { username, configuredUsername, fallbackUsername, env }).roleName;
  };

  const password = async (request: EntraLoginRequest = {}): Promise<EntraPassword> => {
    const plan = prepare(request);
    const { token, expiresOnTimestamp } = await source.getAccessToken(context(plan.hosts[0], request.abortSignal));
    const left = Math.max(0, expiresOnTimestamp - Date.now());
    const reuseUntilTimestamp = expiresOnTimestamp - Math.min(30_000, left / 4);
    // Fields written out: Node 20's `{ ...plan, more }` costs microseconds on every call.
    const { host, hosts, ssl } = plan;
    return { host, hosts, ssl, password: token, expiresOnTimestamp, reuseUntilTimestamp };
  };

  return {
    prepare,
    roleName,
    password,
    async login(request: EntraLoginRequest = {}): Promise<EntraLoginResult> {
      const result = await password(request);
      const configuredUsername = typeof request.configuredUser === "string" ? request.configuredUser : undefined;
      const { roleName: user, source: userSource } = resolveRoleName(result.password, {
        username,
        configuredUsername,
        fallbackUsername,
        env: envOption ?? process.env,
      });
      const { host, hosts, ssl, password: token, expiresOnTimestamp, reuseUntilTimestamp } = result;
      return { host, hosts, ssl, password: token, expiresOnTimestamp, reuseUntilTimestamp, user, userSource };
    },
    invalidate(refusedToken?: string): void {
      source.invalidate(refusedToken);
    },
  };
}

/** Without a token: the `username` option, else the configured user (both trimmed, non-empty). */
function resolveKnownRole(username: string | undefined, configured: string | undefined): string | undefined {
  for (const name of [username, configured]) if (typeof name === "string" && name.trim() !== "") return name.trim();
  return undefined;
}

function context(host: string | undefined, abortSignal: AbortSignal | undefined): EntraTokenRequestContext {
  const context: EntraTokenRequestContext = {};
  if (host !== undefined && !host.startsWith("/")) context.host = host;
  if (abortSignal) context.abortSignal = abortSignal;
  return context;
}

/** `"a,b:5433"` or `["a", "[::1]:5432"]` → `["a", "b"]`, `["a", "[::1]"]`: a port cut, not IPv6's `::1`. */
function splitHosts(host: string | readonly string[]): string[] {
  return (typeof host === "string" ? host.split(",") : [...host]).map((h) =>
    String(h)
      .trim()
      .replace(/^(\[[^\]]*\]|[^:]*):\d+$/, "$1"),
  );
}

function assertLoginOptions(host: unknown, env: unknown, tls: EntraLoginTlsOptions): void {
  const hostOk =
    host === undefined ||
    (typeof host === "string" && host.trim() !== "") ||
    (Array.isArray(host) && host.length > 0 && host.every((h) => typeof h === "string" && h.trim() !== ""));
  if (!hostOk) throw invalidOption("host", "a non-empty string or array of strings (the server host name)", host);
  if (env !== undefined && (typeof env !== "object" || env === null))
    throw invalidOption("env", "an object of environment variables, like process.env", env);
  for (const name of ["allowInsecureLoopback", "allowUnverifiedTls"] as const) {
    if (tls[name] !== undefined && typeof tls[name] !== "boolean") throw invalidOption(name, "a boolean", tls[name]);
  }
  if (tls.sslrootcert !== undefined && typeof tls.sslrootcert !== "string")
    throw invalidOption("sslrootcert", "a string (a PEM file, or system)", tls.sslrootcert);
  if (tls.sslmode !== undefined && !(typeof tls.sslmode === "string" && sslModes.includes(tls.sslmode)))
    throw invalidOption("sslmode", `one of ${sslModes.join(", ")}`, tls.sslmode);
}
