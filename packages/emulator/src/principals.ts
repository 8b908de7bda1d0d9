/**
 * Principals known to the emulator (users, managed identities, service principals,
 * groups) and the plain-password role, with fixed, documented ids.
 */

/**
 * Tenant id of the emulated directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EMULATOR_TENANT_ID, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const claims = JSON.parse(Buffer.from(emu.issueToken("alice@contoso.com").split(".")[1]!, "base64url").toString());
 * assert.equal(claims.tid, EMULATOR_TENANT_ID);
 * ```
 */
export const EMULATOR_TENANT_ID = "72f988bf-0000-4000-8000-00000000e111";
/**
 * Subscription id used in managed identity resource ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EMULATOR_SUBSCRIPTION_ID, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * assert.ok(emu.principals.managedIdentity.resourceId.startsWith(`/subscriptions/${EMULATOR_SUBSCRIPTION_ID}/`));
 * ```
 */
export const EMULATOR_SUBSCRIPTION_ID = "00000000-0000-4000-8000-00000000a5b1";
/**
 * Resource group used in managed identity resource ids.
 *
 * @example
 * ```ts
 * import { EMULATOR_RESOURCE_GROUP, EMULATOR_SUBSCRIPTION_ID, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const resourceId = `/subscriptions/${EMULATOR_SUBSCRIPTION_ID}/resourcegroups/${EMULATOR_RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/billing-api`;
 * await emu.addPrincipal({ kind: "managedIdentity", name: "billing-api", resourceId });
 * ```
 */
export const EMULATOR_RESOURCE_GROUP = "emulator-rg";
/**
 * Client id of the Azure CLI application: the `appid` of user tokens (as with `az login`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AZURE_CLI_CLIENT_ID, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const claims = JSON.parse(Buffer.from(emu.issueToken("alice@contoso.com").split(".")[1]!, "base64url").toString());
 * assert.equal(claims.appid, AZURE_CLI_CLIENT_ID); // user tokens, as with `az login`
 * ```
 */
export const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

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

interface PrincipalBase {
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
  kind: "user";
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
  kind: "servicePrincipal";
  clientId: string;
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
  kind: "password";
  name: string;
  roleName: string;
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
  | { kind: "servicePrincipal"; name: string; roleName?: string; displayName?: string; oid?: string; clientId?: string }
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
  user: UserPrincipal;
  managedIdentity: ManagedIdentityPrincipal;
  servicePrincipal: ServicePrincipal;
  group: GroupPrincipal;
  passwordRole: PasswordRole;
}

/** Resource id of a user-assigned managed identity in the emulated subscription. */
export function userAssignedIdentityResourceId(name: string): string {
  return `/subscriptions/${EMULATOR_SUBSCRIPTION_ID}/resourcegroups/${EMULATOR_RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/** Resource id of an App Service app (host of a system-assigned identity) in the emulated subscription. */
export function appServiceResourceId(name: string): string {
  return `/subscriptions/${EMULATOR_SUBSCRIPTION_ID}/resourcegroups/${EMULATOR_RESOURCE_GROUP}/providers/Microsoft.Web/sites/${name}`;
}

/** Builds the principals the emulator creates at start (fixed ids, see README). */
export function createDefaultPrincipals(passwordRolePassword: string): DefaultPrincipals {
  return {
    user: {
      kind: "user",
      name: "alice@contoso.com",
      roleName: "alice@contoso.com",
      displayName: "Alice",
      upn: "alice@contoso.com",
      oid: "a11ce000-0000-4000-8000-000000000001",
    },
    managedIdentity: {
      kind: "managedIdentity",
      name: "orders-api-identity",
      roleName: "orders-api-identity",
      displayName: "orders-api-identity",
      assignment: "user",
      oid: "0de55000-0000-4000-8000-000000000002",
      clientId: "c1d00000-0000-4000-8000-000000000002",
      resourceId: userAssignedIdentityResourceId("orders-api-identity"),
    },
    servicePrincipal: {
      kind: "servicePrincipal",
      name: "reporting-app",
      roleName: "reporting-app",
      displayName: "reporting-app",
      oid: "5e7f0000-0000-4000-8000-000000000003",
      clientId: "a9900000-0000-4000-8000-000000000003",
    },
    group: {
      kind: "group",
      name: "db-readers",
      roleName: "db-readers",
      displayName: "db-readers",
      oid: "67000000-0000-4000-8000-000000000004",
      members: ["alice@contoso.com"],
    },
    passwordRole: {
      kind: "password",
      name: "app_password",
      roleName: "app_password",
      password: passwordRolePassword,
    },
  };
}

/** Turns an {@link PrincipalInput} into a full principal, generating missing ids. */
export function resolvePrincipalInput(input: PrincipalInput, newId: () => string): Principal {
  switch (input.kind) {
    case "user":
      return {
        kind: "user",
        name: input.name,
        upn: input.upn ?? input.name,
        roleName: input.roleName ?? input.upn ?? input.name,
        displayName: input.displayName ?? input.name,
        oid: input.oid ?? newId(),
      };
    case "managedIdentity": {
      const assignment = input.assignment ?? "user";
      const displayName = input.displayName ?? input.name;
      return {
        kind: "managedIdentity",
        name: input.name,
        assignment,
        roleName: input.roleName ?? displayName,
        displayName,
        oid: input.oid ?? newId(),
        clientId: input.clientId ?? newId(),
        resourceId:
          input.resourceId ??
          (assignment === "user" ? userAssignedIdentityResourceId(input.name) : appServiceResourceId(input.name)),
      };
    }
    case "servicePrincipal": {
      const displayName = input.displayName ?? input.name;
      return {
        kind: "servicePrincipal",
        name: input.name,
        roleName: input.roleName ?? displayName,
        displayName,
        oid: input.oid ?? newId(),
        clientId: input.clientId ?? newId(),
      };
    }
    case "group": {
      const displayName = input.displayName ?? input.name;
      return {
        kind: "group",
        name: input.name,
        roleName: input.roleName ?? displayName,
        displayName,
        oid: input.oid ?? newId(),
        members: [...(input.members ?? [])],
      };
    }
    case "password":
      return { kind: "password", name: input.name, roleName: input.roleName ?? input.name, password: input.password };
  }
}

/** The emulator's directory: principals by name, with lookups by role, oid and client id. */
export class PrincipalDirectory {
  private readonly byName = new Map<string, Principal>();

  add(principal: Principal): void {
    if (this.byName.has(principal.name)) throw new Error(`A principal named "${principal.name}" already exists.`);
    for (const p of this.byName.values()) {
      if (p.roleName === principal.roleName) throw new Error(`A role named "${principal.roleName}" already exists.`);
    }
    if (principal.kind === "group") {
      for (const member of principal.members) this.tokenPrincipal(member);
    }
    this.byName.set(principal.name, principal);
  }

  get(name: string): Principal | undefined {
    return this.byName.get(name);
  }

  /** The principal named `name`, which must be able to hold a token. */
  tokenPrincipal(name: string): TokenPrincipal {
    const p = this.byName.get(name);
    if (!p) throw new Error(`Unknown principal "${name}". Known: ${[...this.byName.keys()].join(", ")}.`);
    if (p.kind === "group" || p.kind === "password") {
      throw new Error(`Principal "${name}" is a ${p.kind === "group" ? "group" : "password role"} and cannot hold a token.`);
    }
    return p;
  }

  byRole(roleName: string): Principal | undefined {
    for (const p of this.byName.values()) if (p.roleName === roleName) return p;
    return undefined;
  }

  byOid(oid: string): TokenPrincipal | undefined {
    for (const p of this.byName.values()) {
      if (p.kind !== "group" && p.kind !== "password" && p.oid === oid) return p;
    }
    return undefined;
  }

  managedIdentityBy(selector: { clientId?: string; objectId?: string; resourceId?: string }): ManagedIdentityPrincipal | undefined {
    for (const p of this.byName.values()) {
      if (p.kind !== "managedIdentity") continue;
      if (selector.clientId && p.clientId.toLowerCase() === selector.clientId.toLowerCase()) return p;
      if (selector.objectId && p.oid.toLowerCase() === selector.objectId.toLowerCase()) return p;
      if (selector.resourceId && p.resourceId.toLowerCase() === selector.resourceId.toLowerCase()) return p;
    }
    return undefined;
  }

  all(): Principal[] {
    return [...this.byName.values()];
  }
}
