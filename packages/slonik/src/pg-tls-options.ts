import { readFileSync } from "node:fs";
import { EntraAuthError } from "@azure/postgresql-auth-core";

/**
 * The TLS options pg passes to `tls.connect` (a subset of Node's `tls.ConnectionOptions`).
 *
 * @example
 * ```ts
 * import type { PgTlsOptions } from "@azure/postgresql-auth-slonik";
 * const ssl: PgTlsOptions = { rejectUnauthorized: true };
 * ```
 */
export interface PgTlsOptions {
  rejectUnauthorized?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  checkServerIdentity?: (hostname: string, cert: unknown) => Error | undefined;
  [option: string]: unknown;
}

/**
 * TLS settings shared by the adapters' options: libpq's `sslmode` and `sslrootcert`.
 *
 * @example
 * ```ts
 * import type { EntraTlsSettings } from "@azure/postgresql-auth-slonik";
 * const tls: EntraTlsSettings = { sslmode: "verify-full", sslrootcert: "/etc/ssl/azure-ca.pem" };
 * ```
 */
export interface EntraTlsSettings {
  /** libpq's sslmode. Default: `PGSSLMODE`, else `verify-full`. `require` also verifies the certificate. */
  sslmode?: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
  /** A PEM file with the CA(s) to trust, or `system`. Default: `PGSSLROOTCERT`, else Node's trusted CAs. */
  sslrootcert?: string;
  /** Allow a plaintext `sslmode` (`disable`, `allow`, `prefer`) when the host is a loopback address. Default `false`. */
  allowPlaintextLoopback?: boolean;
}

const modes: readonly string[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const loopback = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** pg's `ssl` from libpq's rules: verified by default; plaintext only for loopback, on request. */
export function pgTlsOptions(
  settings: EntraTlsSettings,
  host: string,
  env: Record<string, string | undefined> = process.env,
): PgTlsOptions | false {
  const modeFrom = settings.sslmode !== undefined ? "the sslmode option" : "the PGSSLMODE environment variable";
  const mode = String(settings.sslmode ?? env.PGSSLMODE ?? "verify-full")
    .trim()
    .toLowerCase();
  if (!modes.includes(mode))
    throw new EntraAuthError("INVALID_OPTION", `${modeFrom} must be one of ${modes.join(", ")} (got "${mode}").`);
  if (mode === "disable" || mode === "allow" || mode === "prefer") {
    if (settings.allowPlaintextLoopback === true && (loopback.test(host) || host.startsWith("/"))) return false;
    throw new EntraAuthError(
      "INVALID_OPTION",
      `${modeFrom} is "${mode}", which may send the access token without TLS. Azure requires TLS: use sslmode ` +
        '"verify-full" (the default) or "verify-ca". For a local server on a loopback address only, set allowPlaintextLoopback: true.',
    );
  }
  const rootCert = settings.sslrootcert ?? env.PGSSLROOTCERT;
  const ssl: PgTlsOptions = { rejectUnauthorized: true };
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
