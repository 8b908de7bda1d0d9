import type { PgErrorFields } from "./wire-protocol.js";

/**
 * Kinds of login refusal that Azure Database for PostgreSQL sends.
 *
 * @example
 * ```ts
 * import type { RefusalKind } from "@azure/postgresql-auth-cli";
 * const kind: RefusalKind = "wrong-audience";
 * ```
 */
export type RefusalKind =
  | "expired"
  | "not-yet-valid"
  | "wrong-audience"
  | "invalid-format"
  | "unknown-role"
  | "another-principal"
  | "not-group-member"
  | "ssl-required"
  | "no-database"
  | "other";

/**
 * A refusal with the change that fixes it.
 *
 * @example
 * ```ts
 * import type { RefusalExplanation } from "@azure/postgresql-auth-cli";
 * const explained: RefusalExplanation = { kind: "expired", fix: "Check the machine's clock." };
 * ```
 */
export interface RefusalExplanation {
  kind: RefusalKind;
  fix: string;
}

/**
 * What the caller knows about the login that was refused.
 *
 * @example
 * ```ts
 * import type { RefusalContext } from "@azure/postgresql-auth-cli";
 * const context: RefusalContext = { role: "alice@contoso.com", roleSource: "the client's user name", tokenRole: "orders-api-identity" };
 * ```
 */
export interface RefusalContext {
  /** The role name that was sent. */
  role: string;
  /** Where that role name came from, e.g. "the client's user name". */
  roleSource?: string;
  /** Role name our rules pick for the token, when known. */
  tokenRole?: string;
}

/**
 * Recognises Azure's login refusals by their text (SQLSTATE 28000/28P01/3D000) and says what
 * to change. Never sees a token.
 *
 * @example
 * ```ts
 * import { explainRefusal } from "@azure/postgresql-auth-cli";
 * const { kind, fix } = explainRefusal({ severity: "FATAL", code: "28000", message: "The access token has expired. Please acquire a new token and retry." }, { role: "alice@contoso.com" });
 * ```
 */
export function explainRefusal(error: PgErrorFields, context: RefusalContext): RefusalExplanation {
  const text = error.message;
  const role = context.role;
  const from = context.roleSource ? ` (from ${context.roleSource})` : "";
  const tokenRole = context.tokenRole && context.tokenRole !== role ? context.tokenRole : undefined;
  if (/access token has expired/i.test(text)) {
    return {
      kind: "expired",
      fix: "The token had expired when the server checked it. Check the machine's clock; the proxy and the adapters fetch a fresh token before expiry.",
    };
  }
  if (/not yet valid/i.test(text)) {
    return {
      kind: "not-yet-valid",
      fix: "The token is not valid yet: this machine's clock is behind. Synchronise the clock (NTP).",
    };
  }
  if (/valid audience/i.test(text)) {
    return {
      kind: "wrong-audience",
      fix: "The token was issued for another resource. Request it for the server's cloud: let --host name the real server (*.postgres.database.azure.com, *.usgovcloudapi.net, *.chinacloudapi.cn) or set --scope to <resource>/.default as named in the message.",
    };
  }
  if (/invalid format/i.test(text)) {
    return {
      kind: "invalid-format",
      fix: "The password is not an Entra ID access token. Pass the token exactly as returned (no quotes or line breaks), e.g. PGPASSWORD=$(azure-postgresql-auth token --host <server>), or connect through the proxy.",
    };
  }
  if (/belongs to another principal|not a member of group/i.test(text)) {
    return {
      kind: /not a member of group/i.test(text) ? "not-group-member" : "another-principal",
      fix:
        `Role "${role}"${from} is mapped to a different Entra principal than the token's.` +
        (tokenRole
          ? ` Connect as "${tokenRole}" (the token's own role), or`
          : " Connect as the token's own role (see `azure-postgresql-auth whoami`), or") +
        " log in with a credential of the principal behind the role.",
    };
  }
  if (error.code === "28P01" || /password authentication failed/i.test(text)) {
    return {
      kind: "unknown-role",
      fix:
        `The server has no Entra role "${role}"${from}.` +
        (tokenRole
          ? ` The token's principal has role name "${tokenRole}" by our rules: connect with user=${tokenRole},`
          : " Connect with your role's exact name,") +
        " or have an Entra admin create the role: run `azure-postgresql-auth whoami` for the SQL.",
    };
  }
  if (/SSL connection is required/i.test(text)) {
    return {
      kind: "ssl-required",
      fix: "The server requires TLS. Use sslmode=verify-full towards Azure (the proxy always does).",
    };
  }
  if (error.code === "3D000") {
    return {
      kind: "no-database",
      fix: "The database does not exist on the server: check the database name (dbname / PGDATABASE).",
    };
  }
  return { kind: "other", fix: `The server refused the login (SQLSTATE ${error.code}); see its message.` };
}
