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
}
