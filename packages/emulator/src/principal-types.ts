/**
 * Types of the principals known to the emulator (users, managed identities, service
 * principals, groups) and of the plain-password role.
 */

/**
 * The kinds of principal the emulator knows.
 *
 * @example
 * ```ts
 * import { startEmulator, type PrincipalKind } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const kind: PrincipalKind | undefined = emu.principal("reporting-app")?.kind; // "servicePrincipal"
 * ```
 */
export type PrincipalKind = "user" | "managedIdentity" | "servicePrincipal" | "group" | "password";

/** What every principal has: the names to refer to it by and to log in with, and its object id. */
export interface PrincipalBase {
  /** Name used to refer to the principal in the emulator API (e.g. `emu.credential(name)`). */
  name: string;
  /** PostgreSQL role name of the principal (the user name to connect with). */
  roleName: string;
  /** Display name in the directory. */
  displayName: string;
  /** Object id (`oid` claim); roles are matched to tokens by this id, as Azure does. */
  oid: string;
}

/**
 * A Microsoft Entra user. Tokens carry `upn`, `unique_name` and `name`.
 *
 * @example
 * ```ts
 * import { startEmulator, type UserPrincipal } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const alice: UserPrincipal = emu.principals.user;
 * const token = emu.issueToken(alice.name); // claims upn, unique_name = "alice@contoso.com"
 * ```
 */
export interface UserPrincipal extends PrincipalBase {
  /** Always `"user"`. */
  kind: "user";
  /** User principal name (`upn` and `unique_name` claims), e.g. `alice@contoso.com`. */
  upn: string;
}

/**
 * A managed identity. Tokens carry `xms_mirid` and no `upn`.
 *
 * @example
 * ```ts
 * import { ManagedIdentityCredential } from "@azure/identity";
 * import { startEmulator, type ManagedIdentityPrincipal } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const identity: ManagedIdentityPrincipal = emu.principals.managedIdentity;
 * Object.assign(process.env, emu.env); // IDENTITY_ENDPOINT, IDENTITY_HEADER, PG*
 * const credential = new ManagedIdentityCredential({ clientId: identity.clientId });
 * ```
 */
export interface ManagedIdentityPrincipal extends PrincipalBase {
  /** Always `"managedIdentity"`. */
  kind: "managedIdentity";
  /** `"user"` for a user-assigned identity, `"system"` for a system-assigned one. */
  assignment: "user" | "system";
  /** Client (application) id: the `appid` claim and the `client_id` of the endpoint. */
  clientId: string;
  /** Azure resource id (`xms_mirid` claim). */
  resourceId: string;
}

/**
 * A service principal (app registration). Tokens carry `appid` = its client id, no `upn`.
 *
 * @example
 * ```ts
 * import { startEmulator, type ServicePrincipal } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const app: ServicePrincipal = emu.principals.servicePrincipal; // "reporting-app"
 * const { token } = await emu.credential(app.name).getToken("https://ossrdbms-aad.database.windows.net/.default");
 * ```
 */
export interface ServicePrincipal extends PrincipalBase {
  /** Always `"servicePrincipal"`. */
  kind: "servicePrincipal";
  /** Client (application) id: the `appid` claim, and `AZURE_CLIENT_ID` for its credential. */
  clientId: string;
  /** Client secret the emulator's token endpoint accepts (`ClientSecretCredential`, `AZURE_CLIENT_SECRET`). */
  clientSecret: string;
}

/**
 * A group. Log in with the group's role name and a member's own token.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import { startEmulator, type GroupPrincipal } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const group: GroupPrincipal = emu.principals.group; // role "db-readers", member alice@contoso.com
 * const { token } = await emu.credential("alice@contoso.com").getToken("https://ossrdbms-aad.database.windows.net/.default");
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: group.roleName, password: token, ssl: { ca: emu.ca } });
 * ```
 */
export interface GroupPrincipal extends PrincipalBase {
  /** Always `"group"`. */
  kind: "group";
  /** Names of the member principals. */
  members: string[];
}

/**
 * A role with a plain PostgreSQL password (not Entra).
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import { startEmulator, type PasswordRole } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const role: PasswordRole = emu.principals.passwordRole; // "app_password"
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: role.roleName, password: role.password, ssl: { ca: emu.ca } });
 * ```
 */
export interface PasswordRole {
  /** Always `"password"`. */
  kind: "password";
  /** Name used to refer to the role in the emulator API. */
  name: string;
  /** PostgreSQL role name (the user name to connect with). */
  roleName: string;
  /** The role's PostgreSQL password. */
  password: string;
}

/**
 * Any principal that can hold a token.
 *
 * @example
 * ```ts
 * import { startEmulator, type TokenPrincipal } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const holders: TokenPrincipal[] = [emu.principals.user, emu.principals.managedIdentity, emu.principals.servicePrincipal];
 * const tokens = holders.map((p) => emu.issueToken(p.name)); // groups and password roles hold no tokens
 * ```
 */
export type TokenPrincipal = UserPrincipal | ManagedIdentityPrincipal | ServicePrincipal;
/**
 * Any principal or role known to the emulator.
 *
 * @example
 * ```ts
 * import { startEmulator, type Principal } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const principal: Principal | undefined = emu.principal("db-readers");
 * if (principal?.kind === "group") console.log(principal.members); // ["alice@contoso.com"]
 * ```
 */
export type Principal = TokenPrincipal | GroupPrincipal | PasswordRole;

/**
 * What `emu.addPrincipal()` takes. Ids are generated when left out.
 *
 * @example
 * ```ts
 * import { startEmulator, type PrincipalInput } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const billing: PrincipalInput = {
 *   kind: "managedIdentity",
 *   name: "billing-api",
 *   assignment: "system",
 *   resourceId: "/subscriptions/.../providers/Microsoft.Web/sites/billing-api",
 * };
 * await emu.addPrincipal(billing);
 * await emu.addPrincipal({ kind: "group", name: "db-writers", members: ["alice@contoso.com"] });
 * ```
 */
export type PrincipalInput =
  | { kind: "user"; name: string; upn?: string; roleName?: string; displayName?: string; oid?: string }
  | {
      kind: "managedIdentity";
      name: string;
      assignment?: "user" | "system";
      roleName?: string;
      displayName?: string;
      oid?: string;
      clientId?: string;
      resourceId?: string;
    }
  | {
      kind: "servicePrincipal";
      name: string;
      roleName?: string;
      displayName?: string;
      oid?: string;
      clientId?: string;
      clientSecret?: string;
    }
  | { kind: "group"; name: string; members?: string[]; roleName?: string; displayName?: string; oid?: string }
  | { kind: "password"; name: string; password: string; roleName?: string };

/**
 * The principals created at start.
 *
 * @example
 * ```ts
 * import { startEmulator, type DefaultPrincipals } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const { user, managedIdentity, group }: DefaultPrincipals = emu.principals;
 * console.log(user.roleName, managedIdentity.clientId, group.members); // alice@contoso.com c1d00000-... ["alice@contoso.com"]
 * ```
 */
export interface DefaultPrincipals {
  /** The user `alice@contoso.com`. */
  user: UserPrincipal;
  /** The user-assigned managed identity `orders-api-identity`. */
  managedIdentity: ManagedIdentityPrincipal;
  /** The service principal `reporting-app`. */
  servicePrincipal: ServicePrincipal;
  /** The group `db-readers`, with the user as its member. */
  group: GroupPrincipal;
  /** The plain-password role `app_password`. */
  passwordRole: PasswordRole;
}
