/**
 * The principals the emulator creates at start, with fixed, documented ids, and how a
 * {@link PrincipalInput} becomes a principal.
 */
import type { DefaultPrincipals, Principal, PrincipalInput } from "./principal-types.js";

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

/** Client secret of service principals unless given (a local emulator: a fixed, documented value). */
const DEFAULT_CLIENT_SECRET = "emulator-client-secret";

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
      clientSecret: DEFAULT_CLIENT_SECRET,
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
        clientSecret: input.clientSecret ?? DEFAULT_CLIENT_SECRET,
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
