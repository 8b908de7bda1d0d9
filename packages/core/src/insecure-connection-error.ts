import { EntraAuthError } from "./entra-auth-error.js";
import { isLoopbackHost } from "./is-loopback-host.js";

/**
 * The refusal before a token would leave over plaintext or over TLS that does not verify the
 * server: `undefined` (go ahead) when `allowInsecureLoopback` is true and every host is on this
 * machine (a local proxy), else the `INSECURE_CONNECTION` error. The message says what was
 * refused (`who`), which setting made the connection insecure, the risk and the fix.
 *
 * @internal
 */
export function insecureConnectionError(
  hosts: readonly string[],
  allowInsecureLoopback: boolean,
  protection: "plaintext" | "unverified",
  text: { who: string; setting: string },
): EntraAuthError | undefined {
  const local = hosts.length > 0 && hosts.every(isLoopbackHost);
  if (allowInsecureLoopback && local) return undefined;
  const plaintext = protection === "plaintext";
  const problem = plaintext
    ? `the connection would not use TLS (${text.setting}), so the server, or anyone in between, would receive a valid token. ` +
      "Azure Database for PostgreSQL requires TLS: set the driver's ssl to { rejectUnauthorized: true } or sslmode to " +
      'verify-full (the default where the adapter sets TLS), and remove ssl: false / sslmode "disable" or "allow".'
    : `the connection's TLS would not verify the server's certificate (${text.setting}), so anyone who can impersonate ` +
      "the server would receive a valid token. Azure's certificates are verified by Node.js's default CAs: remove " +
      'rejectUnauthorized: false / sslmode "no-verify" (for a private CA, give it as ca or sslrootcert). To send the ' +
      "token anyway, set the allowUnverifiedTls option to true.";
  const loopback = local
    ? " For a server on this machine (a local proxy), set the allowInsecureLoopback option to true."
    : " (allowInsecureLoopback only applies to a server on this machine: localhost, 127.0.0.0/8, ::1 or a Unix socket.)";
  return new EntraAuthError("INSECURE_CONNECTION", `${text.who}: ${problem}${loopback}`);
}
