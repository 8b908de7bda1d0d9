/**
 * Kinds of login refusal {@link explainRefusal} recognises:
 *
 * - from Azure Database for PostgreSQL's own texts: `expired`, `wrong-audience`,
 *   `invalid-format`, `ssl-required`;
 * - from PostgreSQL's texts and SQLSTATEs, as Azure passes them on: `unknown-role` (28P01),
 *   `no-database` (3D000);
 * - from texts that only the local emulator (`@azure/postgresql-auth-emulator`) sends, because
 *   Azure's text for the case is not public: `not-yet-valid`, `another-principal`,
 *   `not-group-member`; against Azure these refusals come out as `other`;
 * - `other`: any other refusal.
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
 */
export interface RefusalExplanation {
  /** What kind of refusal it is. */
  kind: RefusalKind;
  /** What to change, in one or two sentences; names the role, never a token. */
  fix: string;
}

/**
 * What the caller knows about the login that was refused.
 */
export interface RefusalContext {
  /** The role name that was sent. */
  role: string;
  /** Where that role name came from, e.g. "the client's user name". */
  roleSource?: string;
  /** Role name our rules pick for the token, when known. */
  tokenRole?: string;
}

// Azure Database for PostgreSQL's texts. Microsoft publishes no list of its login refusals; each
// text below is quoted from a public source that shows the server sending it, and is matched
// loosely (a phrase, case-insensitive) in case the wording around it changes:
// - "The access token has expired. Please acquire a new token and retry."
//   https://github.com/darold/ora2pg/issues/1851 (FATAL from an Azure server during a long load)
// - "The access token does not have a valid audience claim. Please acquire a new token for the
//   resource "https://ossrdbms-aad.database.windows.net"."
//   https://github.com/microsoft/azuredatastudio-postgresql/issues/505,
//   https://github.com/Azure/azure-sdk-for-java/issues/42632
// - "The access token has invalid format. Please ensure the token is passed exactly as returned by
//   the authentication endpoint and retry."
//   https://github.com/Azure-Samples/rag-postgres-openai-python/issues/161
// - "SSL connection is required. Please specify SSL options and retry."
//   Microsoft's docs: https://learn.microsoft.com/azure/app-service/tutorial-connect-msi-azure-database
//   (FAQ "I get the error SSL connection is required")
const AZURE_EXPIRED = /access token has expired/i;
const AZURE_WRONG_AUDIENCE = /access token does not have a valid audience/i;
const AZURE_INVALID_FORMAT = /access token has invalid format/i;
const AZURE_SSL_REQUIRED = /SSL connection is required/i;
// PostgreSQL's own texts (src/backend/libpq/auth.c, src/backend/utils/init/postinit.c), recognised
// by their SQLSTATE: 28P01 `password authentication failed for user "…"`, 3D000 `database "…" does
// not exist`.
// The emulator's own texts (packages/emulator/src/entra-login.ts), for refusals whose Azure text is
// not public: matched only as the emulator words them, from the start of the message.
const EMULATOR_NOT_YET_VALID = /^The access token is not yet valid\. /;
const EMULATOR_ANOTHER_PRINCIPAL = /^the access token belongs to another principal than role "/;
const EMULATOR_NOT_GROUP_MEMBER = /^the access token's principal is not a member of group "/;

/**
 * Recognises a refused login by its SQLSTATE and text and says what to change: Azure's texts,
 * PostgreSQL's, and the local emulator's own (see {@link RefusalKind}). Never sees a token.
 *
 * @example
 * ```ts
 * import { explainRefusal } from "@azure/postgresql-auth-cli";
 * const { kind, fix } = explainRefusal(
 *   { code: "28000", message: "The access token has expired. Please acquire a new token and retry." },
 *   { role: "alice@contoso.com" },
 * );
 * ```
 */
export function explainRefusal(error: { code: string; message: string }, context: RefusalContext): RefusalExplanation {
  const text = error.message;
  const role = context.role;
  const from = context.roleSource ? ` (from ${context.roleSource})` : "";
  const tokenRole = context.tokenRole && context.tokenRole !== role ? context.tokenRole : undefined;
  if (AZURE_EXPIRED.test(text)) {
    return {
      kind: "expired",
      fix: "The token had expired when the server checked it. Check the machine's clock; the proxy and the adapters fetch a fresh token before expiry.",
    };
  }
  if (EMULATOR_NOT_YET_VALID.test(text)) {
    return {
      kind: "not-yet-valid",
      fix: "The token is not valid yet: this machine's clock is behind. Synchronise the clock (NTP).",
    };
  }
  if (AZURE_WRONG_AUDIENCE.test(text)) {
    return {
      kind: "wrong-audience",
      fix: "The token was issued for another resource. Request it for the server's cloud: let --host name the real server (*.postgres.database.azure.com, *.usgovcloudapi.net, *.chinacloudapi.cn) or set --scope to <resource>/.default as named in the message.",
    };
  }
  if (AZURE_INVALID_FORMAT.test(text)) {
    return {
      kind: "invalid-format",
      fix: "The password is not an Entra ID access token. Pass the token exactly as returned (no quotes or line breaks), e.g. PGPASSWORD=$(azure-postgresql-auth token --host <server>), or connect through the proxy.",
    };
  }
  if (EMULATOR_ANOTHER_PRINCIPAL.test(text) || EMULATOR_NOT_GROUP_MEMBER.test(text)) {
    return {
      kind: EMULATOR_NOT_GROUP_MEMBER.test(text) ? "not-group-member" : "another-principal",
      fix:
        `Role "${role}"${from} is mapped to a different Entra principal than the token's.` +
        (tokenRole
          ? ` Connect as "${tokenRole}" (the token's own role), or`
          : " Connect as the token's own role (see `azure-postgresql-auth whoami`), or") +
        " log in with a credential of the principal behind the role.",
    };
  }
  if (error.code === "28P01") {
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
  if (AZURE_SSL_REQUIRED.test(text)) {
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
