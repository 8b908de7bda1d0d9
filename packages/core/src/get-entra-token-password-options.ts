import type { EntraTokenCacheOptions, EntraTokenEvent } from "./entra-token-cache-options.js";

/**
 * Options shared by every adapter for getting an Entra ID access token to use as a
 * PostgreSQL password.
 *
 * @example
 * ```ts
 * import type { GetEntraTokenPasswordOptions } from "@azure/postgresql-auth-core";
 * const options: GetEntraTokenPasswordOptions = {
 *   host: "myserver.postgres.database.usgovcloudapi.net", // selects the US Government scope
 * };
 * ```
 */
export interface GetEntraTokenPasswordOptions {
  /**
   * The scope(s) to request. Default: the scope of the server's cloud when the host is known
   * (see `host`), else `https://ossrdbms-aad.database.windows.net/.default`.
   */
  scope?: string | string[];
  /**
   * The server host name. A US Government (`.postgres.database.usgovcloudapi.net`) or China
   * (`.postgres.database.chinacloudapi.cn`) host selects that cloud's scope when `scope` is not
   * given. Adapters fill this in from the connection settings where the driver shares them.
   */
  host?: string;
  /** Tenant to request the token from, passed to `getToken` as `tenantId`. */
  tenantId?: string;
  /**
   * Token cache settings, or `false` to ask the credential on every new connection. By default
   * one token per credential, scope and tenant is reused until shortly before it expires and
   * refreshed in the background; concurrent connections share one credential call.
   */
  cache?: false | EntraTokenCacheOptions;
  /**
   * How long one credential call may run before it is aborted with code
   * `TOKEN_ACQUISITION_TIMEOUT`. Default 30000 ms. Callers without a valid token wait less: once
   * the credential has answered before, about 3 s (or twice its last successful call), so that a
   * connection fails with a clear error before the driver's own connection timeout; the call goes
   * on in the background.
   */
  timeoutMs?: number;
  /** Called for credential calls, cache hits, background refreshes and refresh failures (never with the token). */
  onTokenEvent?: (event: EntraTokenEvent) => void;
}
