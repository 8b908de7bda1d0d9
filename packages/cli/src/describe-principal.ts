import type { TokenCredential } from "@azure/core-auth";
import {
  createEntraTokenSource,
  EntraAuthError,
  type EntraLoginOptions,
  type RoleNameSource,
} from "@azure/postgresql-auth-core";
import { decodeTokenClaims, type EntraTokenClaims, resolveRoleName } from "@azure/postgresql-auth-core/internal";

/**
 * Kinds of principal a token can belong to: a user, an application (service principal) or a
 * managed identity.
 */
export type PrincipalKind = "user" | "servicePrincipal" | "managedIdentity";

/**
 * Who the credential is, what role name our rules pick and the SQL that creates that role.
 * Never contains the token.
 */
export interface PrincipalDescription {
  /** What kind of principal the token belongs to. */
  kind: PrincipalKind;
  /** UPN for users, the identity's name for managed identities, the app id for service principals. */
  name: string;
  /** The principal's display name, when the token carries one (`name` or `app_displayname` claim). */
  displayName?: string;
  /** The principal's object id (`oid` claim): what Azure matches a role's mapping against. */
  objectId: string;
  /** The principal's tenant (`tid` claim). */
  tenantId?: string;
  /** The application (client) id of a service principal or managed identity (`appid` or `azp` claim). */
  clientId?: string;
  /** Token expiry, ISO 8601. */
  expiresOn: string;
  /** The token's audience. */
  audience?: string;
  /** The role name our rules pick for this principal. */
  roleName: string;
  /** Where {@link PrincipalDescription.roleName} comes from (an option, a claim or an environment variable). */
  roleSource: RoleNameSource;
  /** Why this role name, in words. */
  roleReason: string;
  /** The `objectType` argument of pgaadauth_create_principal_with_oid. */
  objectType: "user" | "service";
  /** The SQL an Entra admin runs in the `postgres` database to create the role. */
  sql: string;
}

/**
 * Options of {@link describePrincipal}: the host (cloud), scope, tenant and the role name rules' inputs.
 */
export interface DescribePrincipalOptions extends Pick<EntraLoginOptions, "username" | "fallbackUsername" | "env"> {
  /** Server host: picks the cloud (scope). */
  host?: string;
  /** The token's scope, instead of the one for the host's cloud. */
  scope?: string | string[];
  /** The tenant to request the token from, instead of the credential's own. */
  tenantId?: string;
}

const reasons: Record<RoleNameSource, string> = {
  username: "given with --username",
  configured: "configured on the driver",
  upn: "the token's upn claim (a user's sign-in name)",
  preferred_username: "the token's preferred_username claim (a user's sign-in name)",
  unique_name: "the token's unique_name claim (a user's sign-in name)",
  xms_mirid: "the managed identity's name: last segment of the token's xms_mirid claim",
  fallbackUsername: "given with --fallback-username (the token names no role)",
  PGUSER: "the PGUSER environment variable (the token names no role)",
  appid:
    "the token's appid claim (client id): a service principal's token carries no name; give the role name you want with --username",
};

/**
 * Gets a token from the credential and describes the principal behind it.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { describePrincipal } from "@azure/postgresql-auth-cli";
 * const who = await describePrincipal(new DefaultAzureCredential(), { host: "myserver.postgres.database.azure.com" });
 * console.log(who.sql);
 * ```
 */
export async function describePrincipal(
  credential: TokenCredential,
  options: DescribePrincipalOptions = {},
): Promise<PrincipalDescription> {
  const source = createEntraTokenSource(credential, {
    ...(options.scope !== undefined && { scope: options.scope }),
    ...(options.tenantId !== undefined && { tenantId: options.tenantId }),
  });
  const { token, expiresOnTimestamp } = await source.getAccessToken(
    options.host !== undefined ? { host: options.host } : {},
  );
  const claims = decodeTokenClaims(token);
  const { roleName, source: roleSource } = resolveRoleName(token, {
    username: options.username,
    fallbackUsername: options.fallbackUsername,
    ...(options.env && { env: options.env }),
  });
  const objectId = str(claims.oid);
  if (!objectId) {
    throw new EntraAuthError(
      "INVALID_TOKEN",
      "The access token has no oid claim (object id), so no role can be mapped to it. Use a Microsoft Entra ID access token.",
    );
  }
  const kind = principalKind(claims);
  const name =
    kind === "user"
      ? (str(claims.upn) ?? str(claims.preferred_username) ?? str(claims.unique_name) ?? objectId)
      : kind === "managedIdentity"
        ? (str(claims.xms_mirid)!.split("/").filter(Boolean).pop() ?? objectId)
        : (str(claims.app_displayname) ?? str(claims.appid) ?? objectId);
  const objectType = kind === "user" ? "user" : "service";
  const displayName = str(claims.name) ?? str(claims.app_displayname);
  return {
    kind,
    name,
    ...(displayName !== undefined && { displayName }),
    objectId,
    ...(str(claims.tid) !== undefined && { tenantId: str(claims.tid)! }),
    ...((str(claims.appid) ?? str(claims.azp)) ? { clientId: (str(claims.appid) ?? str(claims.azp))! } : {}),
    expiresOn: new Date(expiresOnTimestamp).toISOString(),
    ...(str(claims.aud) !== undefined && { audience: str(claims.aud)! }),
    roleName,
    roleSource,
    roleReason: reasons[roleSource],
    objectType,
    sql: `select * from pgaadauth_create_principal_with_oid(${sqlLiteral(roleName)}, ${sqlLiteral(objectId)}, '${objectType}', false, false);`,
  };
}

function principalKind(claims: EntraTokenClaims): PrincipalKind {
  if (str(claims.xms_mirid)) return "managedIdentity";
  if (
    claims.idtyp === "user" ||
    str(claims.upn) ||
    str(claims.scp) ||
    str(claims.preferred_username) ||
    str(claims.unique_name)
  )
    return "user";
  return "servicePrincipal";
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** A SQL string literal: single quotes doubled. */
function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
