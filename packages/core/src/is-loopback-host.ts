/**
 * True when `host` names this machine: `localhost` (and names under `.localhost`), an IPv4
 * address in `127.0.0.0/8`, the IPv6 loopback `::1` (with or without brackets, or IPv4-mapped
 * `::ffff:127.x.x.x`), or a Unix socket directory (a path starting with `/`). Only such a
 * server may receive a token without TLS, and only when the application opts in with
 * `allowInsecureLoopback: true`. The auth proxy also uses it to warn when it listens beyond this
 * machine.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "@azure/postgresql-auth-core/internal";
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("myserver.postgres.database.azure.com"); // false
 * ```
 *
 * @internal
 */
export function isLoopbackHost(host: string): boolean {
  if (typeof host !== "string") return false;
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  return (
    h.startsWith("/") ||
    h === "localhost" ||
    h.endsWith(".localhost") ||
    h === "::1" ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}
