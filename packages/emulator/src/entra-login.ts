/**
 * The login decision Azure makes for a role: Entra token (signature, expiry, audience,
 * principal matched by `oid` through the role's pgaadauth mapping, group membership, MFA) or a
 * plain password. Where Azure's text is known (from a public source, named at each message) the
 * primary message is exactly Azure's and our help goes into DETAIL/HINT; where it is not, the text
 * is the emulator's own and says so in its TSDoc. Errors never contain the token.
 */
import { timingSafeEqual } from "node:crypto";
import type { PrincipalDirectory } from "./principal-directory.js";
import type { TokenIssuer } from "./token-issuer.js";

/**
 * Azure's message for an expired token. Source (Microsoft publishes no list of these texts): a
 * FATAL from an Azure server quoted in https://github.com/darold/ora2pg/issues/1851.
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
 * Azure's message for a password that is not a valid token. Source: an Azure server's FATAL quoted
 * in https://github.com/Azure-Samples/rag-postgres-openai-python/issues/161.
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
 * Azure's message for a wrong audience, for `resource`. Source: Azure servers' FATAL quoted in
 * https://github.com/microsoft/azuredatastudio-postgresql/issues/505 and
 * https://github.com/Azure/azure-sdk-for-java/issues/42632.
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
 * The emulator's own message for a token whose `nbf` lies in the future: Azure's text for this case
 * is not public, so this one only imitates the style of Azure's.
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
 * Azure's message for a connection without TLS, sent by the emulator's TLS front. Source:
 * Microsoft's docs, https://learn.microsoft.com/azure/app-service/tutorial-connect-msi-azure-database
 * (FAQ "I get the error SSL connection is required").
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

/**
 * The emulator's own message for a token of another principal than the one a role is mapped to
 * (Azure's text for this case is not public).
 */
export function anotherPrincipalMessage(role: string): string {
  return `the access token belongs to another principal than role "${role}"`;
}

/**
 * The emulator's own message for a group role and a token of a principal outside that group
 * (Azure's text for this case is not public).
 */
export function notGroupMemberMessage(role: string): string {
  return `the access token's principal is not a member of group "${role}"`;
}

/**
 * The emulator's own message for a role created with `isMfa` and a token without `mfa` in its `amr`
 * claim (Azure's text for this case is not public).
 */
export function mfaRequiredMessage(role: string): string {
  return `role "${role}" requires multi-factor authentication`;
}

/** Outcome of {@link checkLogin}. */
export type LoginDecision =
  | { ok: true; roleName: string }
  | { ok: false; code: string; message: string; detail?: string; hint?: string };

/** What {@link checkLogin} needs. */
export interface LoginContext {
  directory: PrincipalDirectory;
  issuer: TokenIssuer;
  /** Accepted `aud` values; the first is named in the audience error. */
  audiences: readonly string[];
  /** The role's pgaadauth mapping label (undefined: no such login role; null: not mapped). */
  roleMapping(roleName: string): Promise<{ label: string | null } | undefined>;
  /** The server's clock (ms since the epoch) that token expiry is checked against. Default `Date.now()`. */
  now?(): number;
}

/** Parsed mapping label `aadauth,oid=…,type=…[,admin][,mfa]`. */
export interface RoleLabel {
  oid: string;
  type: "user" | "group" | "service";
  admin: boolean;
  mfa: boolean;
}

/** Parses a mapping label; undefined when it is not one. */
export function parseRoleLabel(label: string): RoleLabel | undefined {
  const parts = label.split(",").map((p) => p.trim());
  if (parts[0] !== "aadauth") return undefined;
  const result: Partial<RoleLabel> = { admin: false, mfa: false };
  for (const part of parts.slice(1)) {
    if (part.startsWith("oid=")) result.oid = part.slice(4).toLowerCase();
    else if (part.startsWith("type=")) result.type = part.slice(5) as RoleLabel["type"];
    else if (part === "admin") result.admin = true;
    else if (part === "mfa") result.mfa = true;
  }
  if (!result.oid || !["user", "group", "service"].includes(result.type ?? "")) return undefined;
  return result as RoleLabel;
}

function passwordFailed(user: string): LoginDecision {
  return { ok: false, code: "28P01", message: `password authentication failed for user "${user}"` };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Hints of the emulator for Azure's messages (Azure sends none; they go into the HINT field). */
const HINTS = {
  format: 'Pass the access token exactly as getToken() returned it: no "Bearer " prefix, no quotes, no line breaks.',
  expired:
    "Azure checks the token only at login: every new connection needs an unexpired token (get it from the credential per connection).",
  notYetValid: "Check the clock of this machine, or wait until the token's nbf time.",
  audience: (resource: string) => `Request the token with the scope "${resource}/.default".`,
};

/** Decides whether `user` may log in with `password`. */
export async function checkLogin(user: string, password: string, context: LoginContext): Promise<LoginDecision> {
  const local = context.directory.byRole(user);
  if (local?.kind === "password")
    return safeEqual(password, local.password) ? { ok: true, roleName: local.roleName } : passwordFailed(user);

  // The role's mapping (a catalog query) and the token's signature and claims are checked at once.
  const [mapping, result] = await Promise.all([
    context.roleMapping(user),
    context.issuer.verify(password.trim(), context.audiences, 0, context.now?.() ?? Date.now()),
  ]);
  const label = mapping?.label ? parseRoleLabel(mapping.label) : undefined;
  if (!label) return passwordFailed(user);

  if (!result.ok) {
    switch (result.reason) {
      case "format":
        return { ok: false, code: "28000", message: INVALID_FORMAT_MESSAGE, hint: HINTS.format };
      case "expired":
        return { ok: false, code: "28000", message: EXPIRED_TOKEN_MESSAGE, hint: HINTS.expired };
      case "notYetValid":
        return { ok: false, code: "28000", message: NOT_YET_VALID_MESSAGE, hint: HINTS.notYetValid };
      case "audience": {
        const resource = context.audiences[0] ?? "";
        return { ok: false, code: "28000", message: invalidAudienceMessage(resource), hint: HINTS.audience(resource) };
      }
    }
  }
  const oid = result.claims.oid.toLowerCase();
  const holder = context.directory.byOid(oid);
  const holderText = holder
    ? `${holder.kind} "${holder.name}" (object id ${oid})`
    : `an unknown principal (object id ${oid})`;
  if (label.type === "group") {
    const group = context.directory.byObjectId(label.oid);
    const memberOids =
      group?.kind === "group"
        ? group.members
            .map((m) => context.directory.get(m))
            .map((p) => (p && p.kind !== "password" ? p.oid.toLowerCase() : ""))
        : [];
    if (!memberOids.includes(oid)) {
      return {
        ok: false,
        code: "28000",
        message: notGroupMemberMessage(user),
        detail: `Role "${user}" is mapped to group object id ${label.oid}; the token was issued to ${holderText}.`,
        hint: "Log in to a group role with the token of a member of the group.",
      };
    }
  } else if (label.oid !== oid) {
    return {
      ok: false,
      code: "28000",
      message: anotherPrincipalMessage(user),
      detail: `Role "${user}" is mapped to object id ${label.oid}; the token was issued to ${holderText}.`,
      hint: `Acquire a token for the principal of role "${user}", or connect as the token's own role.`,
    };
  }
  if (label.mfa) {
    const amr = Array.isArray(result.claims.amr) ? result.claims.amr : [];
    if (!amr.includes("mfa")) {
      return {
        ok: false,
        code: "28000",
        message: mfaRequiredMessage(user),
        detail: 'The role was created with isMfa = true and the token\'s "amr" claim has no "mfa" entry.',
        hint: "Sign in with multi-factor authentication and acquire a new token.",
      };
    }
  }
  return { ok: true, roleName: user };
}
