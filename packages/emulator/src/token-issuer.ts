/**
 * Issues and verifies Entra-shaped RS256 JWT access tokens with a key made at start.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from "node:crypto";
import { AZURE_CLI_CLIENT_ID, EMULATOR_TENANT_ID, type TokenPrincipal } from "./principals.js";

/**
 * Resource (audience) of Azure Database for PostgreSQL in the public cloud.
 *
 * @example
 * ```ts
 * import { PUBLIC_CLOUD_RESOURCE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const { token } = await emu.credential().getToken(`${PUBLIC_CLOUD_RESOURCE}/.default`);
 * ```
 */
export const PUBLIC_CLOUD_RESOURCE = "https://ossrdbms-aad.database.windows.net";

/**
 * Options of {@link TokenIssuer.issue}.
 *
 * @example
 * ```ts
 * import { startEmulator, type IssueTokenOptions } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const options: IssueTokenOptions = { audience: "https://management.azure.com", lifetimeSeconds: 60 };
 * const token = emu.issueToken("alice@contoso.com", options); // the TLS front refuses it: wrong audience
 * ```
 */
export interface IssueTokenOptions {
  /** `aud` claim. Default: the emulator's audience. */
  audience?: string;
  /** Lifetime in seconds from now (ignored when `expiresAt` is given). Default 3600. */
  lifetimeSeconds?: number;
  /** Absolute expiry (Date or ms since epoch); may be in the past for expired tokens. */
  expiresAt?: Date | number;
  /** Absolute not-before (Date or ms since epoch). Default: now. */
  notBefore?: Date | number;
}

/** A token with its expiry. */
export interface IssuedToken {
  token: string;
  /** Expiry, ms since epoch. */
  expiresOnTimestamp: number;
}

/** Claims the emulator puts in (and reads from) its tokens. */
export interface EmulatorTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  sub: string;
  appid: string;
  ver: "1.0";
  upn?: string;
  unique_name?: string;
  name?: string;
  xms_mirid?: string;
  idtyp?: string;
  uti?: string;
  [claim: string]: unknown;
}

/** Outcome of {@link TokenIssuer.verify}. */
export type VerifyResult =
  | { ok: true; claims: EmulatorTokenClaims }
  | { ok: false; reason: "format" | "expired" | "notYetValid" | "audience" };

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

function toSeconds(value: Date | number): number {
  return Math.floor((value instanceof Date ? value.getTime() : value) / 1000);
}

/** Makes and checks tokens. One RSA key per emulator. */
export class TokenIssuer {
  readonly kid: string;
  readonly issuer: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(
    readonly defaultAudience: string = PUBLIC_CLOUD_RESOURCE,
    readonly tenantId: string = EMULATOR_TENANT_ID,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    const der = publicKey.export({ type: "spki", format: "der" });
    this.kid = createHash("sha256").update(der).digest("base64url").slice(0, 27);
    this.issuer = `https://sts.windows.net/${tenantId}/`;
  }

  /** The public key as a JWK (for callers who want to verify tokens themselves). */
  publicJwk(): Record<string, unknown> {
    return { ...(this.publicKey.export({ format: "jwk" }) as Record<string, unknown>), kid: this.kid, alg: "RS256", use: "sig" };
  }

  /** Signs an access token for `principal`. */
  issue(principal: TokenPrincipal, options: IssueTokenOptions = {}): IssuedToken {
    const now = Math.floor(Date.now() / 1000);
    const exp =
      options.expiresAt !== undefined ? toSeconds(options.expiresAt) : now + Math.max(1, Math.round(options.lifetimeSeconds ?? 3600));
    const nbf = options.notBefore !== undefined ? toSeconds(options.notBefore) : Math.min(now, exp);
    const claims: EmulatorTokenClaims = {
      aud: options.audience ?? this.defaultAudience,
      iss: this.issuer,
      iat: Math.min(now, nbf),
      nbf,
      exp,
      tid: this.tenantId,
      oid: principal.oid,
      sub: principal.oid,
      appid: principal.kind === "user" ? AZURE_CLI_CLIENT_ID : principal.clientId,
      appidacr: principal.kind === "user" ? "0" : "2",
      idp: this.issuer,
      ver: "1.0",
      uti: randomUUID().replace(/-/g, "").slice(0, 22),
    };
    if (principal.kind === "user") {
      claims.upn = principal.upn;
      claims.unique_name = principal.upn;
      claims.name = principal.displayName;
      claims.idtyp = "user";
    } else {
      claims.idtyp = "app";
      if (principal.kind === "managedIdentity") claims.xms_mirid = principal.resourceId;
    }
    const header = { alg: "RS256", typ: "JWT", kid: this.kid, x5t: this.kid };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign("sha256", Buffer.from(signingInput), this.privateKey);
    return { token: `${signingInput}.${base64url(signature)}`, expiresOnTimestamp: exp * 1000 };
  }

  /**
   * Checks signature, `exp`/`nbf` (with `clockSkewSeconds` leeway) and that `aud` is one of `audiences`.
   */
  verify(token: string, audiences: readonly string[], clockSkewSeconds = 0): VerifyResult {
    const parts = token.split(".");
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: "format" };
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: unknown; kid?: unknown };
    let claims: EmulatorTokenClaims;
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      return { ok: false, reason: "format" };
    }
    if (header.alg !== "RS256" || typeof claims !== "object" || claims === null) return { ok: false, reason: "format" };
    const valid = verify("sha256", Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, "base64url"));
    if (!valid) return { ok: false, reason: "format" };
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== "number" || claims.exp <= now - clockSkewSeconds) return { ok: false, reason: "expired" };
    if (typeof claims.nbf === "number" && claims.nbf > now + clockSkewSeconds) return { ok: false, reason: "notYetValid" };
    const accepted = audiences.flatMap((a) => [a, a.endsWith("/") ? a.slice(0, -1) : `${a}/`]);
    if (typeof claims.aud !== "string" || !accepted.includes(claims.aud)) return { ok: false, reason: "audience" };
    if (typeof claims.oid !== "string") return { ok: false, reason: "format" };
    return { ok: true, claims };
  }
}

/**
 * Turns an OAuth scope into the resource (audience): strips `/.default`.
 *
 * @example
 * ```ts
 * import { scopeToResource } from "@azure/postgresql-auth-emulator";
 * scopeToResource("https://ossrdbms-aad.database.windows.net/.default"); // "https://ossrdbms-aad.database.windows.net"
 * ```
 */
export function scopeToResource(scope: string): string {
  return scope.endsWith("/.default") ? scope.slice(0, -"/.default".length) : scope;
}
