/**
 * The emulator's directory (its Entra tenant): principals by name, with lookups by role,
 * object id and client id. Principals can be added at run time.
 */
import type { ManagedIdentityPrincipal, Principal, ServicePrincipal, TokenPrincipal } from "./principal-types.js";

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

  /** Removes a principal (used to undo a failed addition). */
  remove(name: string): void {
    this.byName.delete(name);
  }

  get(name: string): Principal | undefined {
    return this.byName.get(name);
  }

  /** The principal named `name`, which must be able to hold a token. */
  tokenPrincipal(name: string): TokenPrincipal {
    const p = this.byName.get(name);
    if (!p) throw new Error(`Unknown principal "${name}". Known: ${[...this.byName.keys()].join(", ")}.`);
    if (p.kind === "group" || p.kind === "password") {
      throw new Error(
        `Principal "${name}" is a ${p.kind === "group" ? "group" : "password role"} and cannot hold a token.`,
      );
    }
    return p;
  }

  byRole(roleName: string): Principal | undefined {
    for (const p of this.byName.values()) if (p.roleName === roleName) return p;
    return undefined;
  }

  /** The principal that holds tokens with this `oid` claim. */
  byOid(oid: string): TokenPrincipal | undefined {
    const wanted = oid.toLowerCase();
    for (const p of this.byName.values()) {
      if (p.kind !== "group" && p.kind !== "password" && p.oid.toLowerCase() === wanted) return p;
    }
    return undefined;
  }

  /** Any Entra principal (groups included) with this object id. */
  byObjectId(oid: string): Exclude<Principal, { kind: "password" }> | undefined {
    const wanted = oid.toLowerCase();
    for (const p of this.byName.values()) {
      if (p.kind !== "password" && p.oid.toLowerCase() === wanted) return p;
    }
    return undefined;
  }

  /**
   * The entries `pgaadauth_create_principal` resolves names against: the UPN of a user, the
   * display name of a group, service principal or managed identity.
   */
  pgaadauthEntries(): { name: string; oid: string; type: "user" | "group" | "service" }[] {
    const entries: { name: string; oid: string; type: "user" | "group" | "service" }[] = [];
    for (const p of this.byName.values()) {
      if (p.kind === "password") continue;
      if (p.kind === "user") entries.push({ name: p.upn, oid: p.oid, type: "user" });
      else entries.push({ name: p.displayName, oid: p.oid, type: p.kind === "group" ? "group" : "service" });
    }
    return entries;
  }

  managedIdentityBy(selector: {
    clientId?: string;
    objectId?: string;
    resourceId?: string;
  }): ManagedIdentityPrincipal | undefined {
    for (const p of this.byName.values()) {
      if (p.kind !== "managedIdentity") continue;
      if (selector.clientId && p.clientId.toLowerCase() === selector.clientId.toLowerCase()) return p;
      if (selector.objectId && p.oid.toLowerCase() === selector.objectId.toLowerCase()) return p;
      if (selector.resourceId && p.resourceId.toLowerCase() === selector.resourceId.toLowerCase()) return p;
    }
    return undefined;
  }

  /** The service principal or managed identity with this client (application) id. */
  byClientId(clientId: string): ServicePrincipal | ManagedIdentityPrincipal | undefined {
    const wanted = clientId.toLowerCase();
    for (const p of this.byName.values()) {
      if ((p.kind === "servicePrincipal" || p.kind === "managedIdentity") && p.clientId.toLowerCase() === wanted)
        return p;
    }
    return undefined;
  }

  all(): Principal[] {
    return [...this.byName.values()];
  }
}
