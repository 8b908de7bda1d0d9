import { EntraAuthError } from "./entra-auth-error.js";
import { isLoopbackHost } from "./is-loopback-host.js";

/**
 * The one decision every adapter makes before a token leaves for a connection without TLS:
 * `undefined` (go ahead) when `allowInsecureLoopback` is true and every host is on this machine
 * (a local proxy), else the `INSECURE_CONNECTION` error. `why` says what makes the connection
 * plaintext, `fix` how to turn TLS on; the message adds the risk and the opt-out's rule.
 *
 * @example
 * ```ts
 * import { insecureConnectionError } from "@azure/postgresql-auth-core";
 * const error = insecureConnectionError(
 *   "myserver.postgres.database.azure.com",
 *   false,
 *   "myAdapter refused to send an access token to myserver.postgres.database.azure.com: ssl is off",
 *   "set ssl to { rejectUnauthorized: true }.",
 * );
 * if (error) throw error;
 * ```
 */
export function insecureConnectionError(
  hosts: string | readonly string[],
  allowInsecureLoopback: boolean,
  why: string,
  fix: string,
): EntraAuthError | undefined {
  const list = typeof hosts === "string" ? [hosts] : hosts;
  const local = list.length > 0 && list.every(isLoopbackHost);
  if (allowInsecureLoopback && local) return undefined;
  return new EntraAuthError(
    "INSECURE_CONNECTION",
    `${why}, so the server, or anyone in between, would receive a valid token. Azure Database for PostgreSQL ` +
      `requires TLS: ${fix}` +
      (local
        ? " For a server on this machine (a local proxy), set the allowInsecureLoopback option to true."
        : " (allowInsecureLoopback only applies to a server on this machine: localhost, 127.0.0.0/8, ::1 or a Unix socket.)"),
  );
}
