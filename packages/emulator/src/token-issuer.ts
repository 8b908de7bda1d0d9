/**
 * Issues and verifies Entra-shaped RS256 JWT access tokens with a key made at start.
 * Verification uses `jose` (its errors map onto Azure's four messages). Signing uses
 * `node:crypto` directly because `emu.issueToken()` is synchronous and jose signs only
 * asynchronously; the header is RS256 with `kid` and `x5t` like Entra's.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { errors as joseErrors, jwtVerify } from "jose";
import { AZURE_CLI_CLIENT_ID, EMULATOR_TENANT_ID } from "./default-principals.js";
import type { TokenPrincipal } from "./principal-types.js";

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
  /** `amr` claim (how the user signed in). Default for users `["pwd", "mfa"]`; none for applications. */
  amr?: string[];
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
  amr?: string[];
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

/** Audience of workload identity federated tokens. */
export const FEDERATED_TOKEN_AUDIENCE = "api://AzureADTokenExchange";
/** Issuer of the emulator's federated tokens (stands in for an AKS OIDC issuer). */
export const FEDERATED_TOKEN_ISSUER = "https://oidc.emulator.invalid/";

/** Makes and checks tokens. One RSA key per emulator. */
export class TokenIssuer {
  readonly kid: string;
  readonly issuer: string;
  private readonly publicKey: KeyObject;

  private constructor(
    private readonly privateKey: KeyObject,
    readonly defaultAudience: string,
    readonly tenantId: string,
  ) {
    this.publicKey = createPublicKey(privateKey);
    const der = this.publicKey.export({ type: "spki", format: "der" });
    this.kid = createHash("sha256").update(der).digest("base64url").slice(0, 27);
    this.issuer = `https://sts.windows.net/${tenantId}/`;
  }

  /**
   * Makes an issuer. With `keyFile`, the RSA key is read from that file, or made and saved there
   * (mode 0600) when missing: making a 2048-bit key takes 0.1–0.4 s on a busy 2-core machine,
   * too much for every start.
   */
  static async create(
    defaultAudience: string = PUBLIC_CLOUD_RESOURCE,
    tenantId: string = EMULATOR_TENANT_ID,
    keyFile?: string,
  ): Promise<TokenIssuer> {
    if (keyFile) {
      const pem = await readFile(keyFile, "utf8").catch(() => undefined);
      if (pem) {
        try {
          return new TokenIssuer(createPrivateKey(pem), defaultAudience, tenantId);
        } catch {
          // unreadable key: make a new one below
        }
      }
    }
    const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    if (keyFile) {
      const temp = `${keyFile}.${randomBytes(4).toString("hex")}`;
      await writeFile(temp, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
      await rename(temp, keyFile);
    }
    return new TokenIssuer(privateKey, defaultAudience, tenantId);
  }

  /** Signs an access token for `principal`. */
  issue(principal: TokenPrincipal, options: IssueTokenOptions = {}): IssuedToken {
    const now = Math.floor(Date.now() / 1000);
    const exp =
      options.expiresAt !== undefined
        ? toSeconds(options.expiresAt)
        : now + Math.max(1, Math.round(options.lifetimeSeconds ?? 3600));
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
      claims.amr = options.amr ?? ["pwd", "mfa"];
    } else {
      claims.idtyp = "app";
      if (options.amr) claims.amr = options.amr;
      if (principal.kind === "managedIdentity") claims.xms_mirid = principal.resourceId;
    }
    const header = { alg: "RS256", typ: "JWT", kid: this.kid, x5t: this.kid };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign("sha256", Buffer.from(signingInput), this.privateKey);
    return { token: `${signingInput}.${base64url(signature)}`, expiresOnTimestamp: exp * 1000 };
  }

  /**
   * Signs a Kubernetes-style service account token for workload identity (the content of
   * `AZURE_FEDERATED_TOKEN_FILE`): `aud` `api://AzureADTokenExchange`, `sub` the federated subject.
   */
  issueFederatedToken(subject: string, lifetimeSeconds = 86_400): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: [FEDERATED_TOKEN_AUDIENCE],
      iss: FEDERATED_TOKEN_ISSUER,
      sub: subject,
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
    };
    const header = { alg: "RS256", typ: "JWT", kid: this.kid };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${base64url(sign("sha256", Buffer.from(signingInput), this.privateKey))}`;
  }

  /** Checks a federated token made by {@link TokenIssuer.issueFederatedToken}; returns its subject. */
  async verifyFederatedToken(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        audience: FEDERATED_TOKEN_AUDIENCE,
        issuer: FEDERATED_TOKEN_ISSUER,
      });
      return typeof payload.sub === "string" ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Checks signature, `exp`/`nbf` (with `clockToleranceSeconds` leeway, at time `now`: the
   * server's clock) and that `aud` is one of `audiences`.
   */
  async verify(
    token: string,
    audiences: readonly string[],
    clockToleranceSeconds = 0,
    now: number = Date.now(),
  ): Promise<VerifyResult> {
    const accepted = audiences.flatMap((a) => [a, a.endsWith("/") ? a.slice(0, -1) : `${a}/`]);
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        audience: accepted,
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(now),
      });
      if (typeof payload.oid !== "string" || typeof payload.exp !== "number") return { ok: false, reason: "format" };
      return { ok: true, claims: payload as EmulatorTokenClaims };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        if (error.claim === "nbf") return { ok: false, reason: "notYetValid" };
        if (error.claim === "aud") return { ok: false, reason: "audience" };
      }
      return { ok: false, reason: "format" };
    }
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
