import { readFileSync } from "node:fs";
import { EntraAuthError } from "@azure/postgresql-auth-core";

/** The TLS settings this adapter hands postgres.js: verified TLS options, or a plaintext mode. */
export type PostgresSslSetting = PostgresTlsOptions | false | "allow" | "prefer";

/**
 * The TLS options postgres.js passes to `tls.connect` (a subset of Node's `tls.ConnectionOptions`).
 *
 * @example
 * ```ts
 * import type { PostgresTlsOptions } from "@azure/postgresql-auth-postgres";
 * const ssl: PostgresTlsOptions = { rejectUnauthorized: true };
 * ```
 */
export interface PostgresTlsOptions {
  rejectUnauthorized?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  checkServerIdentity?: (hostname: string, cert: unknown) => Error | undefined;
  [option: string]: unknown;
}

/**
 * libpq's `sslmode` values (`PGSSLMODE`).
 *
 * @example
 * ```ts
 * import type { PostgresSslMode } from "@azure/postgresql-auth-postgres";
 * const sslmode: PostgresSslMode = "verify-full";
 * ```
 */
export type PostgresSslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

const modes: readonly string[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const loopback = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/**
 * postgres.js's `ssl` from libpq's rules, which postgres.js itself ignores: `sslmode`/`PGSSLMODE`
 * (default `verify-full`; `require` verifies too, because the password is a bearer token) and
 * `sslrootcert`/`PGSSLROOTCERT` (a PEM file, or `system`). Plaintext modes are refused unless
 * `allowPlaintextLoopback` is set and every host is a loopback address.
 */
export function postgresSsl(
  input: { sslmode?: string; sslrootcert?: string; allowPlaintextLoopback?: boolean },
  hosts: readonly string[],
  env: Record<string, string | undefined>,
): PostgresSslSetting {
  const modeFrom = input.sslmode !== undefined ? "the sslmode option" : "the PGSSLMODE environment variable";
  const mode = (input.sslmode ?? env.PGSSLMODE ?? "verify-full").trim().toLowerCase();
  if (!modes.includes(mode)) {
    throw new EntraAuthError("INVALID_OPTION", `${modeFrom} must be one of ${modes.join(", ")} (got "${mode}").`);
  }
  if (mode === "disable" || mode === "allow" || mode === "prefer") {
    if (input.allowPlaintextLoopback === true && hosts.every((h) => loopback.test(h) || h.startsWith("/"))) {
      return mode === "disable" ? false : mode;
    }
    throw new EntraAuthError(
      "INVALID_OPTION",
      `${modeFrom} is "${mode}", which may send the access token without TLS. Azure requires TLS: use ` +
        'sslmode "verify-full" (the default) or "verify-ca". For a local server on a loopback address only, ' +
        "set allowPlaintextLoopback: true.",
    );
  }
  const rootCert = input.sslrootcert ?? env.PGSSLROOTCERT;
  const ssl: PostgresTlsOptions = { rejectUnauthorized: true };
  if (rootCert !== undefined && rootCert !== "" && rootCert !== "system") {
    try {
      ssl.ca = readFileSync(rootCert, "utf8");
    } catch (cause) {
      const from =
        input.sslrootcert !== undefined ? "the sslrootcert option" : "the PGSSLROOTCERT environment variable";
      throw new EntraAuthError("INVALID_OPTION", `Cannot read the CA file named by ${from} (${rootCert}).`, { cause });
    }
  }
  // verify-ca: the chain must be trusted, the host name is not checked (libpq's meaning).
  if (mode === "verify-ca" && rootCert !== "system") ssl.checkServerIdentity = () => undefined;
  return ssl;
}
