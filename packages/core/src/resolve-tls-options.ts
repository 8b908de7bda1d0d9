import { readFileSync } from "node:fs";
import { EntraAuthError } from "./entra-auth-error.js";
import { insecureConnectionError } from "./insecure-connection-error.js";

/**
 * libpq's `sslmode` values (`PGSSLMODE`), plus `no-verify` (pg's and Slonik's name for TLS without
 * certificate checks). `disable` and `allow` may send the token without TLS and `no-verify` to a
 * server that is not verified: all three are refused. `prefer`, `require`, `verify-ca` and
 * `verify-full` give TLS that verifies the certificate (the password is a bearer token).
 *
 * @example
 * ```ts
 * import type { SslMode } from "@azure/postgresql-auth-core";
 * const sslmode: SslMode = "verify-full";
 * ```
 */
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full" | "no-verify";

/**
 * TLS settings every adapter takes: libpq's `sslmode` and `sslrootcert` (used when the driver has
 * no TLS setting of its own) and the two explicit exceptions to "verified TLS only".
 *
 * @example
 * ```ts
 * import type { EntraLoginTlsOptions } from "@azure/postgresql-auth-core";
 * const tls: EntraLoginTlsOptions = { sslmode: "verify-full", sslrootcert: "/etc/ssl/azure-ca.pem" };
 * ```
 */
export interface EntraLoginTlsOptions {
  /** libpq's sslmode, for a connection without a TLS setting of its own. Default: `PGSSLMODE`, else `verify-full`. */
  sslmode?: SslMode;
  /** A PEM file with the CA(s) to trust, or `system`. Default: `PGSSLROOTCERT`, else Node's trusted CAs. */
  sslrootcert?: string;
  /**
   * Allow a connection without TLS, or with TLS that does not verify the server, when every host
   * is on this machine (`localhost`, `127.0.0.0/8`, `::1` or a Unix socket), for example a local
   * proxy that opens TLS to Azure itself. Default `false`. It never applies to another host.
   */
  allowInsecureLoopback?: boolean;
  /**
   * Send the token over TLS that does not verify the server's certificate
   * (`rejectUnauthorized: false`, `sslmode` `no-verify`), to any host. Default `false`: such a
   * connection is refused with `INSECURE_CONNECTION`, because anyone who can impersonate the server
   * would receive a valid token. Azure's certificates are verified by Node's default CAs; for a
   * private CA give `sslrootcert` (or the driver's `ca`) instead. Never allows plaintext.
   */
  allowUnverifiedTls?: boolean;
}

/**
 * TLS options for the driver's `ssl` setting (a subset of Node's `tls.ConnectionOptions`, as pg
 * and postgres.js pass it to `tls.connect`).
 *
 * @example
 * ```ts
 * import type { EntraTlsOptions } from "@azure/postgresql-auth-core";
 * const ssl: EntraTlsOptions = { rejectUnauthorized: true };
 * ```
 */
export interface EntraTlsOptions {
  /** `true` in every options object this library makes: the certificate is verified. */
  rejectUnauthorized?: boolean;
  /** CA certificates to trust instead of Node's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Host name check; `verify-ca` replaces it by one that accepts any name (the chain is still checked). */
  checkServerIdentity?: (hostname: string, cert: unknown) => Error | undefined;
  /** Any other `tls.connect` option, passed through unchanged. */
  [option: string]: unknown;
}

/**
 * A connection's TLS setting as its driver will apply it, translated by the adapter:
 * - `{ ssl }`: the value the driver hands to `tls.connect` (pg's `ssl` after it read its
 *   connection string and `PGSSLMODE`, Sequelize's `dialectOptions.ssl`, Knex's `connection.ssl`):
 *   `false`, `undefined` or `null` is no TLS; `rejectUnauthorized: false` (or pg's `"no-verify"`)
 *   does not verify the server; `true` or another object verifies it.
 * - `{ sslmode, sslrootcert }`: a libpq mode this library turns into TLS options (an adapter
 *   option, `sslmode` in a connection URI).
 * - `"unknown"`: the driver does not say (pg before 8.19 passes its password function nothing):
 *   the rule cannot be applied and the login goes ahead.
 *
 * `setting` names what the user sets (`"dialectOptions.ssl"`, `"sslmode in the connection URI"`)
 * in the refusal's message. Leave the whole input out for a connection without a TLS setting of
 * its own: the login's `sslmode` applies (else `PGSSLMODE`, else `verify-full`).
 *
 * @example
 * ```ts
 * import type { EntraConnectionTls } from "@azure/postgresql-auth-core";
 * const fromDriver: EntraConnectionTls = { ssl: { rejectUnauthorized: true }, setting: "connection.ssl" };
 * const fromUri: EntraConnectionTls = { sslmode: "require", setting: "sslmode in the connection URI" };
 * ```
 */
export type EntraConnectionTls =
  | { ssl: unknown; setting?: string }
  | { sslmode: string; sslrootcert?: string | undefined; setting?: string }
  | "unknown";

/** How a TLS setting treats the token: sent over verified TLS, over TLS without checks, or in the clear. */
type Protection = "verified" | "unverified" | "plaintext";

/** Every {@link SslMode}, for checks. */
export const sslModes: readonly string[] = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
  "no-verify",
];

type Env = Readonly<Record<string, string | undefined>>;

/** The TLS decision of one connection: what the driver should use, or the refusal. */
export interface TlsDecisionInput {
  tls: EntraConnectionTls | undefined;
  hosts: readonly string[];
  /** `host:port` or the socket, for messages. */
  where: string;
  settings: EntraLoginTlsOptions;
  env: Env;
  caller: string;
  /** Reads a CA file once per path (the login keeps them). */
  readCa: (path: string) => string;
}

/**
 * The one TLS rule: the token goes only over TLS that verifies the server. Plaintext is refused
 * with `INSECURE_CONNECTION` unless every host is on this machine and `allowInsecureLoopback` is
 * set; TLS that does not verify is refused the same way unless `allowUnverifiedTls` is set (or the
 * loopback exception applies). Returns what the driver should use: TLS options, `false` (plaintext
 * allowed on loopback) or `undefined` (the driver did not say).
 *
 * @internal
 */
export function resolveTlsOptions(input: TlsDecisionInput): EntraTlsOptions | false | undefined {
  const { tls, settings, env } = input;
  if (tls === "unknown") return undefined;
  if (tls !== undefined && "ssl" in tls) return decide(input, protectionOfSsl(tls.ssl), tls.ssl, tls.setting ?? "ssl");
  const fromOption = tls === undefined ? settings.sslmode !== undefined : true;
  const setting =
    tls?.setting ?? (fromOption ? "the sslmode option" : env.PGSSLMODE ? "the PGSSLMODE environment variable" : "");
  const mode = String(tls?.sslmode ?? settings.sslmode ?? (env.PGSSLMODE || undefined) ?? "verify-full")
    .trim()
    .toLowerCase();
  if (!sslModes.includes(mode))
    throw new EntraAuthError(
      "INVALID_OPTION",
      `${setting} must be one of ${sslModes.join(", ")} (got "${mode.slice(0, 32)}").`,
    );
  if (mode === "disable" || mode === "allow") return decide(input, "plaintext", false, `${setting} is "${mode}"`);
  if (mode === "no-verify")
    return decide(input, "unverified", { rejectUnauthorized: false }, `${setting} is "no-verify"`);
  const rootCert = tls !== undefined ? tls.sslrootcert : (settings.sslrootcert ?? env.PGSSLROOTCERT);
  const ssl: EntraTlsOptions = { rejectUnauthorized: true };
  if (rootCert !== undefined && rootCert !== "" && rootCert !== "system") {
    try {
      ssl.ca = input.readCa(rootCert);
    } catch (cause) {
      const from =
        tls !== undefined
          ? `sslrootcert (${tls.setting ?? "the connection's setting"})`
          : settings.sslrootcert !== undefined
            ? "the sslrootcert option"
            : "the PGSSLROOTCERT environment variable";
      throw new EntraAuthError("INVALID_OPTION", `Cannot read the CA file named by ${from} (${rootCert}).`, { cause });
    }
  }
  // verify-ca: the chain must be trusted, the host name is not checked (libpq's meaning).
  if (mode === "verify-ca" && rootCert !== "system") ssl.checkServerIdentity = () => undefined;
  return ssl;
}

/** What a driver's `ssl` value does with the token. */
function protectionOfSsl(ssl: unknown): Protection {
  if (ssl === undefined || ssl === null || ssl === false || ssl === 0 || ssl === "") return "plaintext";
  // Node's own switch turns verification off for every connection that does not ask for it.
  const nodeVerifies = process.env.NODE_TLS_REJECT_UNAUTHORIZED !== "0";
  if (ssl === true) return nodeVerifies ? "verified" : "unverified";
  if (typeof ssl === "string") {
    const mode = ssl.trim().toLowerCase();
    if (mode === "disable" || mode === "false" || mode === "0" || mode === "allow" || mode === "prefer")
      return "plaintext";
    if (mode === "verify-full" || mode === "verify-ca" || mode === "true")
      return nodeVerifies ? "verified" : "unverified";
    return "unverified"; // "require", "no-verify": TLS without certificate checks in the drivers that read them
  }
  if (typeof ssl !== "object") return "verified";
  const reject = (ssl as { rejectUnauthorized?: unknown }).rejectUnauthorized;
  if (reject === false) return "unverified";
  return reject === true || nodeVerifies ? "verified" : "unverified";
}

function decide(
  input: TlsDecisionInput,
  protection: Protection,
  ssl: unknown,
  setting: string,
): EntraTlsOptions | false | undefined {
  if (protection === "verified") return ssl === true ? { rejectUnauthorized: true } : (ssl as EntraTlsOptions);
  const { settings, hosts, caller, where, env } = input;
  const unverifiedAllowed = protection === "unverified" && settings.allowUnverifiedTls === true;
  const refusal = unverifiedAllowed
    ? undefined
    : insecureConnectionError(hosts, settings.allowInsecureLoopback === true, protection, {
        who: `${caller} refused to send an access token to ${where}`,
        setting: describeSetting(setting, ssl, env),
      });
  if (refusal) throw refusal;
  if (protection === "plaintext") return false;
  return typeof ssl === "object" && ssl !== null ? (ssl as EntraTlsOptions) : { rejectUnauthorized: false };
}

/** `dialectOptions.ssl is false`, with the environment's PGSSLMODE when the driver may have read it. */
function describeSetting(setting: string, ssl: unknown, env: Env): string {
  if (setting.endsWith('"')) return setting; // a mode, already said
  const value =
    typeof ssl === "object" && ssl !== null && (ssl as { rejectUnauthorized?: unknown }).rejectUnauthorized === false
      ? "{ rejectUnauthorized: false }"
      : ssl === true || (typeof ssl === "object" && ssl !== null)
        ? "TLS options without rejectUnauthorized: true, and NODE_TLS_REJECT_UNAUTHORIZED=0 is set"
        : (JSON.stringify(ssl) ?? "unset");
  const fromEnv = env.PGSSLMODE ? `; PGSSLMODE=${env.PGSSLMODE.slice(0, 32)} is set in the environment` : "";
  return `${setting} is ${value}${fromEnv}`;
}

/** Reads a CA file (PEM). */
export function readCaFile(path: string): string {
  return readFileSync(path, "utf8");
}
