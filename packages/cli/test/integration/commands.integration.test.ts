// token, whoami and check: the real bin as a child process, against the emulator.
import { execFile } from "node:child_process";
import { type AzStandIn, type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, containsJwt, managedIdentityEnv } from "./proxy-process.js";

let emu: Emulator;
let aliceAz: AzStandIn;
let reportingAz: AzStandIn;

beforeAll(async () => {
  emu = await startEmulator();
  aliceAz = await emu.createAzStandIn({ principal: emu.principals.user.name });
  reportingAz = await emu.createAzStandIn({ principal: emu.principals.servicePrincipal.name });
});
afterAll(async () => {
  await emu?.stop();
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
const azEnv = (az: AzStandIn) => {
  const env = managedIdentityEnv(emu);
  delete env.IDENTITY_ENDPOINT;
  delete env.IDENTITY_HEADER;
  return { ...env, PATH: `${az.binDir}:${process.env.PATH ?? ""}` };
};

describe("token", () => {
  it("prints the managed identity's token for the server's cloud; --json adds the expiry", async () => {
    const plain = await cli(["token", "--host", "myserver.postgres.database.azure.com"], managedIdentityEnv(emu));
    expect(plain.code).toBe(0);
    const token = plain.stdout.trim();
    expect(containsJwt(plain.stdout)).toBe(true); // the detector the other tests rely on finds a real token
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims.aud).toBe("https://ossrdbms-aad.database.windows.net");
    expect(claims.oid).toBe(emu.principals.managedIdentity.oid);

    const json = await cli(["token", "--json"], managedIdentityEnv(emu));
    const parsed = JSON.parse(json.stdout) as { token: string; expiresOn: string; expiresOnTimestamp: number };
    expect(parsed.token.split(".")).toHaveLength(3);
    expect(new Date(parsed.expiresOn).getTime()).toBe(parsed.expiresOnTimestamp);
    expect(parsed.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  it("asks for the US Government cloud's resource when the host is there", async () => {
    const result = await cli(["token", "--host", "db.postgres.database.usgovcloudapi.net"], managedIdentityEnv(emu));
    expect(result.code).toBe(0);
    const claims = JSON.parse(Buffer.from(result.stdout.trim().split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    expect(claims.aud).toBe("https://ossrdbms-aad.database.usgovcloudapi.net");
  });

  it("exits 3 with our error code, without a token, when the credential fails", async () => {
    const result = await cli(["token"], managedIdentityEnv(emu, { IDENTITY_HEADER: "wrong" }));
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/TOKEN_ACQUISITION_FAILED/);
    expect(result.stdout).toBe("");
  });

  it("exits 2 on a usage error", async () => {
    const result = await cli(["token", "--no-such-flag"], managedIdentityEnv(emu));
    expect(result.code).toBe(2);
  });
});

describe("whoami", () => {
  it("a managed identity: kind, name, ids, role from xms_mirid, and the SQL", async () => {
    const result = await cli(["whoami"], managedIdentityEnv(emu));
    expect(result.code).toBe(0);
    const p = emu.principals.managedIdentity;
    expect(result.stdout).toContain(`principal:    managed identity ${p.roleName}`);
    expect(result.stdout).toContain(`object id:    ${p.oid}`);
    expect(result.stdout).toContain(`tenant:       ${emu.tenantId}`);
    expect(result.stdout).toContain(`client id:    ${p.clientId}`);
    expect(result.stdout).toMatch(/token expiry: \d{4}-\d\d-\d\dT/);
    expect(result.stdout).toContain(`role name:    ${p.roleName}`);
    expect(result.stdout).toContain("managed identity's name: last segment of the token's xms_mirid claim");
    expect(result.stdout).toContain(
      `select * from pgaadauth_create_principal_with_oid('${p.roleName}', '${p.oid}', 'service', false, false);`,
    );
    expect(containsJwt(result.stdout + result.stderr)).toBe(false);
  });

  it("a user (az login): upn, object type user", async () => {
    const result = await cli(["whoami", "--credential", "cli", "--json"], azEnv(aliceAz));
    expect(result.code).toBe(0);
    const who = JSON.parse(result.stdout) as Record<string, string>;
    const u = emu.principals.user;
    expect(who).toMatchObject({
      kind: "user",
      name: "alice@contoso.com",
      objectId: u.oid,
      tenantId: emu.tenantId,
      roleName: "alice@contoso.com",
      roleSource: "upn",
      objectType: "user",
      sql: `select * from pgaadauth_create_principal_with_oid('alice@contoso.com', '${u.oid}', 'user', false, false);`,
    });
    expect(containsJwt(result.stdout + result.stderr)).toBe(false);
  });

  it("a service principal: no name in the token, so the role is the client id unless --username", async () => {
    const sp = emu.principals.servicePrincipal;
    const plain = await cli(["whoami", "--credential", "cli", "--json"], azEnv(reportingAz));
    expect(plain.code).toBe(0);
    const who = JSON.parse(plain.stdout) as Record<string, string>;
    expect(who).toMatchObject({
      kind: "servicePrincipal",
      objectId: sp.oid,
      clientId: sp.clientId,
      roleName: sp.clientId,
      roleSource: "appid",
      objectType: "service",
    });

    const named = await cli(["whoami", "--credential", "cli", "--username", "reporting-app"], azEnv(reportingAz));
    expect(named.stdout).toContain("principal:    service principal");
    expect(named.stdout).toContain(
      `select * from pgaadauth_create_principal_with_oid('reporting-app', '${sp.oid}', 'service', false, false);`,
    );
    expect(containsJwt(plain.stdout + named.stdout + named.stderr)).toBe(false);
  });
});

describe("check", () => {
  const pgEnv = (extra: Record<string, string> = {}) =>
    managedIdentityEnv(emu, {
      PGHOST: emu.host,
      PGPORT: String(emu.port),
      PGDATABASE: "appdb",
      PGSSLROOTCERT: emu.caFile,
      ...extra,
    });

  it("exit 0 when a query ran, as the managed identity", async () => {
    const result = await cli(["check"], pgEnv());
    expect(result.stdout).toMatch(/^ok {3}query {2}select current_user → orders-api-identity$/m);
    expect(result.code).toBe(0);
  });

  const refusals: Array<[string, () => Record<string, string>, string, RegExp]> = [
    [
      "an expired token",
      () => ({ PGPASSWORD: emu.issueToken(emu.principals.managedIdentity.name, { expiresAt: Date.now() - 60_000 }) }),
      "expired",
      /clock/,
    ],
    [
      "a token for another audience",
      () => ({
        PGPASSWORD: emu.issueToken(emu.principals.managedIdentity.name, { audience: "https://management.azure.com" }),
      }),
      "wrong-audience",
      /--host/,
    ],
    [
      "a password that is not a token",
      () => ({ PGPASSWORD: "hunter2", PGUSER: "orders-api-identity" }),
      "invalid-format",
      /azure-postgresql-auth token/,
    ],
    ["an unknown role", () => ({ PGUSER: "nobody" }), "unknown-role", /user=orders-api-identity/],
    [
      "the token of another principal",
      () => ({ PGUSER: "alice@contoso.com" }),
      "another-principal",
      /Connect as "orders-api-identity"/,
    ],
  ];
  for (const [name, env, kind, fix] of refusals) {
    it(`explains ${name} (exit 14)`, async () => {
      const result = await cli(["check", "--json"], pgEnv(env()));
      expect(result.code).toBe(14);
      const parsed = JSON.parse(result.stdout) as {
        ok: boolean;
        steps: Array<{ step: string; ok: boolean; refusal?: string; fix?: string }>;
      };
      const last = parsed.steps.at(-1)!;
      expect(last).toMatchObject({ step: "login", ok: false, refusal: kind });
      expect(last.fix).toMatch(fix);
      expect(containsJwt(result.stdout + result.stderr)).toBe(false);
    });
  }

  it("explains a DNS failure (exit 10)", async () => {
    const result = await cli(["check", "--host", "no-such-server.invalid"], pgEnv());
    expect(result.stdout).toMatch(/^FAIL dns/m);
    expect(result.code).toBe(10);
  });

  it("explains a closed port (exit 11)", async () => {
    const net = await import("node:net");
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as import("node:net").AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const result = await cli(["check", "--host", "127.0.0.1", "--port", String(port)], pgEnv());
    expect(result.stdout).toMatch(/^FAIL tcp .*ECONNREFUSED/m);
    expect(result.code).toBe(11);
  });

  it("explains an untrusted certificate (exit 12) and never turns verification off", async () => {
    const env = pgEnv();
    delete env.PGSSLROOTCERT;
    const result = await cli(["check"], env);
    expect(result.stdout).toMatch(/^FAIL tls .*(self-signed|unable to verify)/m);
    expect(result.stdout).toMatch(/--ca/);
    expect(result.code).toBe(12);
  });
});
