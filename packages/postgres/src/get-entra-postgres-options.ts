import {
  assertRoleNameOptions,
  assertTokenCredential,
  cloudFromHost,
  createEntraTokenSource,
  EntraAuthError,
  type EntraTlsOptions,
  type EntraTlsSettings,
  type GetEntraTokenPasswordOptions,
  logger,
  type RoleNameOptions,
  redactTokens,
  resolveRoleName,
  resolveTlsOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";

/**
 * Settings of {@link getEntraPostgresOptions}: the server host (bound to the password function,
 * because postgres.js calls it with no arguments), the role name rules, TLS, and the token options
 * shared by every adapter (`scope`, `tenantId`, `cache`, `timeoutMs`, `onTokenEvent`).
 *
 * @example
 * ```ts
 * import type { EntraPostgresSettings } from "@azure/postgresql-auth-postgres";
 * const settings: EntraPostgresSettings = { host: "myserver.postgres.database.usgovcloudapi.net", username: "orders-api" };
 * ```
 */
export interface EntraPostgresSettings
  extends Omit<GetEntraTokenPasswordOptions, "host">,
    Pick<RoleNameOptions, "username" | "fallbackUsername">,
    EntraTlsSettings {
  /** Server host, or several (postgres.js's multi-host form `"a,b"` or an array). Default: `PGHOST`. */
  host?: string | string[];
}

/**
 * Connection options for `postgres()`, to spread into your own options.
 *
 * @example
 * ```ts
 * import type { EntraPostgresOptions } from "@azure/postgresql-auth-postgres";
 * function describe(options: EntraPostgresOptions): string {
 *   return `${options.username}@${options.host}`;
 * }
 * ```
 */
export interface EntraPostgresOptions {
  /** The host setting (an array joined with commas, postgres.js's multi-host form). */
  host: string;
  username: string;
  /**
   * postgres.js calls it for every authentication (reconnects included); tokens come from the
   * shared cache. It never rejects: postgres.js 3.4 leaves a rejected password promise unhandled
   * (the process exits). Without a token it logs a warning and resolves to an empty password,
   * which the server refuses, so the query fails instead.
   */
  password: () => Promise<string>;
  /** Verified TLS options, or (only with `allowInsecureLoopback` and loopback hosts) `false`, `"allow"` or `"prefer"`. */
  ssl: EntraTlsOptions | false | "allow" | "prefer";
}

/**
 * Returns postgres.js options that log in with Microsoft Entra ID: the host, the role name (the
 * `username` setting, else from the token by the project's rules), a password function bound to
 * the host's cloud (postgres.js passes it nothing) and `ssl` verifying the server's certificate,
 * following `PGSSLMODE`/`PGSSLROOTCERT` (which postgres.js ignores). Spread them into your own
 * options; they work for Drizzle on postgres-js too.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { getEntraPostgresOptions } from "@azure/postgresql-auth-postgres";
 * import postgres from "postgres";
 *
 * const sql = postgres({
 *   ...(await getEntraPostgresOptions(new DefaultAzureCredential(), { host: process.env.PGHOST })),
 *   database: process.env.PGDATABASE,
 * });
 * ```
 */
export function getEntraPostgresOptions(
  credential: TokenCredential,
  settings: EntraPostgresSettings = {},
): Promise<EntraPostgresOptions> {
  assertTokenCredential(credential, "getEntraPostgresOptions");
  assertRoleNameOptions(settings);
  const {
    host: hostSetting,
    sslmode,
    sslrootcert,
    allowInsecureLoopback,
    username,
    fallbackUsername,
    ...tokenOptions
  } = settings;
  const host = hostSetting ?? process.env.PGHOST;
  const hosts = (Array.isArray(host) ? host : (host ?? "").split(",")).map((h) =>
    h.trim().replace(/^(\[[^\]]*\]|[^:]*):\d+$/, "$1"),
  ); // a port, not IPv6 "::1"
  if (host === undefined || hosts.some((h) => h === "")) {
    throw new EntraAuthError(
      "INVALID_OPTION",
      "getEntraPostgresOptions: set the host option (or PGHOST) to the server's host name.",
    );
  }
  const clouds = new Set(hosts.map((h) => cloudFromHost(h) ?? "AzurePublicCloud"));
  if (clouds.size > 1 && tokenOptions.scope === undefined) {
    throw new EntraAuthError(
      "INVALID_OPTION",
      "getEntraPostgresOptions: the hosts are in different clouds; set the scope option.",
    );
  }
  const ssl = resolveTlsOptions({ sslmode, sslrootcert, allowInsecureLoopback }, hosts);
  const source = createEntraTokenSource(credential, { ...tokenOptions, host: hosts[0] });
  const password = async (): Promise<string> => {
    try {
      return (await source.getAccessToken()).token;
    } catch (error) {
      const why = EntraAuthError.isInstance(error) ? `${error.code}: ${error.message}` : redactTokens(String(error));
      logger.warning(
        `No access token for a new postgres.js connection; it is tried with an empty password and refused. ${why}`,
      );
      return "";
    }
  };
  // Everything above throws at once (set-up mistakes fail the call, not a promise). The token is
  // needed only when the role name has to come from it (an explicit username wins); a failure to
  // get it rejects, so mistakes show at start-up.
  const withRoleName = async (): Promise<EntraPostgresOptions> => {
    const setupToken = username === undefined ? (await source.getAccessToken()).token : "";
    const { roleName } = resolveRoleName(setupToken, { username, fallbackUsername });
    return { host: Array.isArray(host) ? host.join(",") : host, username: roleName, password, ssl };
  };
  return withRoleName();
}
