import { readFileSync } from "node:fs";
import { EntraAuthError } from "./entra-auth-error.js";
import { insecureConnectionError } from "./insecure-connection-error.js";

/**
 * libpq's `sslmode` values (`PGSSLMODE`). `disable`, `allow` and `prefer` may send the token
 * without TLS; `require` verifies the certificate here too (the password is a bearer token).
 *
 * @example
 * ```ts
 * import type { SslMode } from "@azure/postgresql-auth-core";
 * const sslmode: SslMode = "verify-full";
 * ```
 */
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

/**
 * TLS settings shared by the adapters' options: libpq's `sslmode` and `sslrootcert`, and the
 * opt-out for a server on this machine.
 *
 * @example
 * ```ts
 * import type { EntraTlsSettings } from "@azure/postgresql-auth-core";
 * const tls: EntraTlsSettings = { sslmode: "verify-full", sslrootcert: "/etc/ssl/azure-ca.pem" };
 * ```
 */
export interface EntraTlsSettings {
  /** libpq's sslmode. Default: `PGSSLMODE`, else `verify-full`. `require` also verifies the certificate. */
  sslmode?: SslMode;
  /** A PEM file with the CA(s) to trust, or `system`. Default: `PGSSLROOTCERT`, else Node's trusted CAs. */
  sslrootcert?: string;
  /**
   * Allow a plaintext `sslmode` (`disable`, `allow`, `prefer`) when every host is on this machine
   * (see {@link isLoopbackHost}), for example a local proxy that opens TLS to Azure itself.
   * Default `false`. It never allows plaintext to another host.
   */
  allowInsecureLoopback?: boolean;
}

/**
 * Verified TLS options for the driver's `ssl` setting (a subset of Node's `tls.ConnectionOptions`,
 * as pg and postgres.js pass it to `tls.connect`).
 *
 * @example
 * ```ts
 * import type { EntraTlsOptions } from "@azure/postgresql-auth-core";
 * const ssl: EntraTlsOptions = { rejectUnauthorized: true };
 * ```
 */
export interface EntraTlsOptions {
  rejectUnauthorized?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  checkServerIdentity?: (hostname: string, cert: unknown) => Error | undefined;
  [option: string]: unknown;
}

const modes: readonly string[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/**
 * The driver's `ssl` setting from libpq's rules: `sslmode` (else `PGSSLMODE`, else `verify-full`)
 * and `sslrootcert` (else `PGSSLROOTCERT`: a PEM file, or `system` for Node's trusted CAs).
 * `require`, `verify-ca` and `verify-full` return TLS options that verify the certificate
 * (`verify-ca` skips the host name check only). The plaintext modes are refused with an
 * `EntraAuthError` of code `INSECURE_CONNECTION` unless `allowInsecureLoopback` is true and every
 * host is a loopback address or a socket path; then the result is `false` for `disable` and the
 * mode itself for `allow`/`prefer` (postgres.js understands them; for pg, treat them as `false`).
 * An unknown mode or an unreadable CA file throws `INVALID_OPTION`.
 *
 * @example
 * ```ts
 * import { resolveTlsOptions } from "@azure/postgresql-auth-core";
 * const ssl = resolveTlsOptions({ sslmode: "verify-full" }, ["myserver.postgres.database.azure.com"]);
 * // { rejectUnauthorized: true }
 * ```
 */
export function resolveTlsOptions(
  settings: EntraTlsSettings,
  hosts: string | readonly string[],
  env: Record<string, string | undefined> = process.env,
): EntraTlsOptions | false | "allow" | "prefer" {
  const allowInsecureLoopback = settings.allowInsecureLoopback ?? false;
  if (typeof allowInsecureLoopback !== "boolean") {
    throw new EntraAuthError(
      "INVALID_OPTION",
      `The allowInsecureLoopback option must be a boolean (got ${typeof allowInsecureLoopback}).`,
    );
  }
  const modeFrom = settings.sslmode !== undefined ? "the sslmode option" : "the PGSSLMODE environment variable";
  const mode = String(settings.sslmode ?? env.PGSSLMODE ?? "verify-full")
    .trim()
    .toLowerCase();
  if (!modes.includes(mode))
    throw new EntraAuthError("INVALID_OPTION", `${modeFrom} must be one of ${modes.join(", ")} (got "${mode}").`);
  if (mode === "disable" || mode === "allow" || mode === "prefer") {
    const refusal = insecureConnectionError(
      hosts,
      allowInsecureLoopback,
      `${modeFrom} is "${mode}", which may send the access token without TLS`,
      'use sslmode "verify-full" (the default) or "verify-ca".',
    );
    if (refusal) throw refusal;
    return mode === "disable" ? false : mode;
  }
  const rootCert = settings.sslrootcert ?? env.PGSSLROOTCERT;
  const ssl: EntraTlsOptions = { rejectUnauthorized: true };
  if (rootCert !== undefined && rootCert !== "" && rootCert !== "system") {
    try {
      ssl.ca = readFileSync(rootCert, "utf8");
    } catch (cause) {
      const from =
        settings.sslrootcert !== undefined ? "the sslrootcert option" : "the PGSSLROOTCERT environment variable";
      throw new EntraAuthError("INVALID_OPTION", `Cannot read the CA file named by ${from} (${rootCert}).`, { cause });
    }
  }
  // verify-ca: the chain must be trusted, the host name is not checked (libpq's meaning).
  if (mode === "verify-ca" && rootCert !== "system") ssl.checkServerIdentity = () => undefined;
  return ssl;
}
