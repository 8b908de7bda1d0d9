/**
 * The login decision Azure makes for a role: Entra token (signature, expiry, audience,
 * principal matched by `oid`, group membership) or a plain password. Errors use Azure's
 * wording and never contain the token.
 */
import { timingSafeEqual } from "node:crypto";
import type { PrincipalDirectory } from "./principals.js";
import type { TokenIssuer } from "./token-issuer.js";

/**
 * Azure's message for an expired token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pg from "pg";
 * import { EXPIRED_TOKEN_MESSAGE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: "alice@contoso.com", password: emu.issueToken("alice@contoso.com", { expiresAt: Date.now() - 1000 }), ssl: { ca: emu.ca } });
 * await assert.rejects(client.connect(), { message: EXPIRED_TOKEN_MESSAGE });
 * ```
 */
export const EXPIRED_TOKEN_MESSAGE = "The access token has expired. Please acquire a new token and retry.";
/**
 * Azure's message for a password that is not a valid token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pg from "pg";
 * import { INVALID_FORMAT_MESSAGE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: "alice@contoso.com", password: "not-a-token", ssl: { ca: emu.ca } });
 * await assert.rejects(client.connect(), { message: INVALID_FORMAT_MESSAGE });
 * ```
 */
export const INVALID_FORMAT_MESSAGE =
  "The access token has invalid format. Please ensure the token is passed exactly as returned by the authentication endpoint and retry.";
/**
 * Azure's message for a wrong audience, for `resource`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pg from "pg";
 * import { invalidAudienceMessage, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: "alice@contoso.com", password: emu.issueToken("alice@contoso.com", { audience: "https://management.azure.com" }), ssl: { ca: emu.ca } });
 * await assert.rejects(client.connect(), { message: invalidAudienceMessage(emu.audience) });
 * ```
 */
export function invalidAudienceMessage(resource: string): string {
  return `The access token does not have a valid audience claim. Please acquire a new token for the resource "${resource}".`;
}
/**
 * Message for a token whose `nbf` lies in the future.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pg from "pg";
 * import { NOT_YET_VALID_MESSAGE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: "alice@contoso.com", password: emu.issueToken("alice@contoso.com", { notBefore: Date.now() + 60_000 }), ssl: { ca: emu.ca } });
 * await assert.rejects(client.connect(), { message: NOT_YET_VALID_MESSAGE });
 * ```
 */
export const NOT_YET_VALID_MESSAGE = "The access token is not yet valid. Please acquire a new token and retry.";
/**
 * The message of the TLS front for a connection without TLS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pg from "pg";
 * import { SSL_REQUIRED_MESSAGE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: "alice@contoso.com", password: emu.issueToken("alice@contoso.com"), ssl: false });
 * await assert.rejects(client.connect(), { message: SSL_REQUIRED_MESSAGE });
 * ```
 */
export const SSL_REQUIRED_MESSAGE = "SSL connection is required. Please specify SSL options and retry.";

/** Outcome of {@link checkLogin}. */
export type LoginDecision = { ok: true; roleName: string } | { ok: false; code: string; message: string };

/** What {@link checkLogin} needs. */
export interface LoginContext {
  directory: PrincipalDirectory;
  issuer: TokenIssuer;
  /** Accepted `aud` values; the first is named in the audience error. */
  audiences: readonly string[];
}

function passwordFailed(user: string): LoginDecision {
  return { ok: false, code: "28P01", message: `password authentication failed for user "${user}"` };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Decides whether `user` may log in with `password`. */
export function checkLogin(user: string, password: string, context: LoginContext): LoginDecision {
  const role = context.directory.byRole(user);
  if (!role) return passwordFailed(user);
  if (role.kind === "password") return safeEqual(password, role.password) ? { ok: true, roleName: role.roleName } : passwordFailed(user);

  const result = context.issuer.verify(password.trim(), context.audiences, 0);
  if (!result.ok) {
    switch (result.reason) {
      case "format":
        return { ok: false, code: "28000", message: INVALID_FORMAT_MESSAGE };
      case "expired":
        return { ok: false, code: "28000", message: EXPIRED_TOKEN_MESSAGE };
      case "notYetValid":
        return { ok: false, code: "28000", message: NOT_YET_VALID_MESSAGE };
      case "audience":
        return { ok: false, code: "28000", message: invalidAudienceMessage(context.audiences[0] ?? "") };
    }
  }
  const oid = result.claims.oid;
  const holder = context.directory.byOid(oid);
  const holderText = holder ? `${holder.kind} "${holder.name}" (role "${holder.roleName}")` : `an unknown principal (oid ${oid})`;
  if (role.kind === "group") {
    const memberOids = role.members.map((m) => context.directory.get(m)).map((p) => (p && p.kind !== "password" ? p.oid : ""));
    if (memberOids.includes(oid)) return { ok: true, roleName: role.roleName };
    return {
      ok: false,
      code: "28000",
      message: `The access token belongs to ${holderText}, which is not a member of group "${role.displayName}" (role "${role.roleName}"). Log in with the token of a member of the group.`,
    };
  }
  if (role.oid === oid) return { ok: true, roleName: role.roleName };
  return {
    ok: false,
    code: "28000",
    message: `The access token belongs to another principal: role "${role.roleName}" is mapped to object id ${role.oid}, but the token was issued to ${holderText}. Acquire a token for the principal of role "${role.roleName}" or connect as the token's own role.`,
  };
}
