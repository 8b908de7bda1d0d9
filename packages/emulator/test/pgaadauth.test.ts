import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";
import { client, currentUser, refusal } from "./helpers.js";

let emu: Emulator;
let admin: pg.Client;

beforeAll(async () => {
  emu = await startEmulator();
  admin = client(emu, emu.entraAdmin, emu.issueToken(emu.entraAdmin));
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await emu?.stop();
});

async function sqlError(c: pg.Client, sql: string, values?: unknown[]): Promise<pg.DatabaseError> {
  try {
    await c.query(sql, values);
  } catch (error) {
    return error as pg.DatabaseError;
  }
  throw new Error(`expected an error from: ${sql}`);
}

async function roleCount(name: string): Promise<number> {
  return (await admin.query("select count(*)::int as n from pg_roles where rolname = $1", [name])).rows[0].n;
}

describe("pgaadauth role management", () => {
  it("whole story: a managed identity added at run time, its role created with SQL by the Entra admin, then it logs in", async () => {
    const identity = await emu.addPrincipal({ kind: "managedIdentity", name: "billing-api" }, { createRole: false });
    expect(await roleCount("billing-api")).toBe(0);
    const { rows } = await admin.query("select * from pgaadauth_create_principal('billing-api', false, false)");
    expect(Object.values(rows[0])).toEqual(["Created role for billing-api"]);
    expect(await currentUser(emu, "billing-api", emu.issueToken("billing-api"))).toBe("billing-api");
    const listed = (await admin.query("select * from pgaadauth_list_principals(false)")).rows;
    expect(listed).toContainEqual({
      rolname: "billing-api",
      principalType: "service",
      objectId: identity.kind === "managedIdentity" ? identity.oid : "",
      tenantId: emu.tenantId,
      isMfa: false,
      isAdmin: false,
    });
  });

  it("refuses a name that is not in the directory with Azure's text, creating nothing", async () => {
    const error = await sqlError(admin, "select pgaadauth_create_principal('nobody@contoso.com', false, false)");
    expect(error.message).toBe(
      "Could not validate AAD user nobody@contoso.com because its name is not found in the tenant.",
    );
    expect(error.hint).toMatch(/addPrincipal/);
    expect(await roleCount("nobody@contoso.com")).toBe(0);
  });

  it("pgaadauth_create_principal_with_oid: any role name; bad type, bad object id and an existing role are refused, nothing half-created", async () => {
    const oid = emu.principals.servicePrincipal.oid;
    expect(
      (
        await admin.query(
          "select pgaadauth_create_principal_with_oid('reports_ro', $1, 'service', false, false) as r",
          [oid],
        )
      ).rows[0].r,
    ).toBe("Created role for reports_ro");
    expect(await currentUser(emu, "reports_ro", emu.issueToken("reporting-app"))).toBe("reports_ro");

    const badType = await sqlError(
      admin,
      "select pgaadauth_create_principal_with_oid('x1', $1, 'robot', false, false)",
      [oid],
    );
    expect(badType).toMatchObject({ code: "22023", message: 'invalid object type "robot"' });
    const badOid = await sqlError(
      admin,
      "select pgaadauth_create_principal_with_oid('x2', 'not-a-guid', 'user', false, false)",
    );
    expect(badOid).toMatchObject({ code: "22023", message: 'invalid object id "not-a-guid"' });
    const exists = await sqlError(
      admin,
      "select pgaadauth_create_principal_with_oid('reports_ro', $1, 'service', false, false)",
      [oid],
    );
    expect(exists).toMatchObject({ code: "42710", message: 'role "reports_ro" already exists' });
    expect(await roleCount("x1")).toBe(0);
    expect(await roleCount("x2")).toBe(0);
  });

  it("only a member of azure_pg_admin may manage roles", async () => {
    const other = client(emu, "reporting-app", emu.issueToken("reporting-app"));
    await other.connect();
    try {
      for (const sql of [
        "select pgaadauth_create_principal('reporting-app', true, false)",
        "select pgaadauth_create_principal_with_oid('sneaky', '5e7f0000-0000-4000-8000-000000000003', 'service', true, false)",
        "select * from pgaadauth_list_principals(false)",
        `SECURITY LABEL FOR "pgaadauth" ON ROLE "reporting-app" IS 'aadauth,oid=a11ce000-0000-4000-8000-000000000001,type=user,admin'`,
      ]) {
        const error = await sqlError(other, sql);
        expect(error.code).toBe("42501");
        expect(error.message).toBe("permission denied to manage Microsoft Entra ID roles");
      }
    } finally {
      await other.end();
    }
    expect(await roleCount("sneaky")).toBe(0);
  });

  it("SECURITY LABEL maps an existing role (simple and extended protocol); DROP ROLE removes the mapping", async () => {
    await emu.addPrincipal({ kind: "servicePrincipal", name: "etl-job" }, { createRole: false });
    const etl = emu.principal("etl-job")!;
    const oid = etl.kind === "servicePrincipal" ? etl.oid : "";
    await admin.query('CREATE ROLE "etl-job" LOGIN');
    expect((await refusal(emu, "etl-job", emu.issueToken("etl-job"))).code).toBe("28P01");
    await admin.query(`SECURITY LABEL FOR "pgaadauth" ON ROLE "etl-job" IS 'aadauth,oid=${oid},type=service'`);
    expect(await currentUser(emu, "etl-job", emu.issueToken("etl-job"))).toBe("etl-job");
    await admin.query({ name: "unlabel", text: `SECURITY LABEL FOR pgaadauth ON ROLE "etl-job" IS NULL` });
    expect((await refusal(emu, "etl-job", emu.issueToken("etl-job"))).code).toBe("28P01");
    await admin.query({
      name: "relabel",
      text: `security label on role "etl-job" is 'aadauth,oid=${oid},type=service'`,
    });
    expect(await currentUser(emu, "etl-job", emu.issueToken("etl-job"))).toBe("etl-job");
    const badLabel = await sqlError(
      admin,
      `SECURITY LABEL FOR "pgaadauth" ON ROLE "etl-job" IS 'aadauth,oid=${oid},type=robot'`,
    );
    expect(badLabel.message).toBe('invalid object type "robot"');

    await admin.query('DROP ROLE "etl-job"');
    const names = (await admin.query("select rolname from pgaadauth_list_principals(false)")).rows.map(
      (r) => r.rolname,
    );
    expect(names).not.toContain("etl-job");
    await admin.query('CREATE ROLE "etl-job" LOGIN');
    expect((await refusal(emu, "etl-job", emu.issueToken("etl-job"))).code).toBe("28P01");
    await admin.query('DROP ROLE "etl-job"');
  });

  it("lists admins only with isAdmin = true; an admin created by SQL may manage roles", async () => {
    await emu.addPrincipal({ kind: "user", name: "carol@contoso.com" }, { createRole: false });
    await admin.query("select pgaadauth_create_principal('carol@contoso.com', true, false)");
    const admins = (await admin.query("select rolname from pgaadauth_list_principals(true)")).rows.map(
      (r) => r.rolname,
    );
    expect(admins).toEqual(expect.arrayContaining(["alice@contoso.com", "carol@contoso.com"]));
    expect(admins).not.toContain("billing-api");
    const carol = client(emu, "carol@contoso.com", emu.issueToken("carol@contoso.com"));
    await carol.connect();
    try {
      const oid = "0b0b0000-0000-4000-8000-0000000000b0";
      expect(
        (
          await carol.query("select pgaadauth_create_principal_with_oid('by_carol', $1, 'user', false, false) as r", [
            oid,
          ])
        ).rows[0].r,
      ).toBe("Created role for by_carol");
    } finally {
      await carol.end();
    }
  });

  it("isMfa: the token's amr must contain mfa", async () => {
    await emu.addPrincipal({ kind: "user", name: "dave@contoso.com" }, { createRole: false });
    await admin.query("select pgaadauth_create_principal('dave@contoso.com', false, true)");
    expect(
      await currentUser(emu, "dave@contoso.com", emu.issueToken("dave@contoso.com", { amr: ["pwd", "mfa"] })),
    ).toBe("dave@contoso.com");
    const error = await refusal(emu, "dave@contoso.com", emu.issueToken("dave@contoso.com", { amr: ["pwd"] }));
    expect(error.code).toBe("28000");
    expect(error.message).toBe('role "dave@contoso.com" requires multi-factor authentication');
    expect((error as pg.DatabaseError).detail).toMatch(/amr/);
  });

  it("a group role created by SQL: members log in with their own token", async () => {
    await emu.addPrincipal(
      { kind: "group", name: "db-auditors", members: ["alice@contoso.com"] },
      { createRole: false },
    );
    await admin.query("select pgaadauth_create_principal('db-auditors', false, false)");
    expect(await currentUser(emu, "db-auditors", emu.issueToken("alice@contoso.com"))).toBe("db-auditors");
    const error = await refusal(emu, "db-auditors", emu.issueToken("reporting-app"));
    expect(error.message).toBe('the access token\'s principal is not a member of group "db-auditors"');
  });
});
