import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificates } from "../src/certificates.js";
import {
  type Emulator,
  EXPIRED_TOKEN_MESSAGE,
  INVALID_FORMAT_MESSAGE,
  invalidAudienceMessage,
  NOT_YET_VALID_MESSAGE,
  SSL_REQUIRED_MESSAGE,
  startEmulator,
} from "../src/index.js";
import { client, currentUser, refusal, SCOPE, waitForActiveQuery } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

describe("logins through the TLS front", () => {
  it("logs in as the user with its token", async () => {
    const { token } = await emu.credential("alice@contoso.com").getToken(SCOPE);
    expect(await currentUser(emu, "alice@contoso.com", token)).toBe("alice@contoso.com");
  });

  it("logs in as the managed identity (default credential principal)", async () => {
    const { token } = await emu.credential().getToken(SCOPE);
    expect(await currentUser(emu, emu.principals.managedIdentity.roleName, token)).toBe("orders-api-identity");
  });

  it("logs in as the service principal", async () => {
    const { token } = await emu.credential("reporting-app").getToken([SCOPE]);
    expect(await currentUser(emu, "reporting-app", token)).toBe("reporting-app");
  });

  it("logs in as the group with a member's token", async () => {
    const { token } = await emu.credential("alice@contoso.com").getToken(SCOPE);
    expect(await currentUser(emu, "db-readers", token)).toBe("db-readers");
  });

  it("logs in as the password role with its password, and refuses a wrong one", async () => {
    const { roleName, password } = emu.principals.passwordRole;
    expect(await currentUser(emu, roleName, password)).toBe("app_password");
    const error = await refusal(emu, roleName, "wrong");
    expect(error.code).toBe("28P01");
    expect(error.message).toBe('password authentication failed for user "app_password"');
  });

  it("lets roles create and share tables in the database", async () => {
    const alice = client(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"));
    await alice.connect();
    await alice.query("create table if not exists orders (id int primary key, item text)");
    await alice.query("insert into orders values (1, 'book') on conflict do nothing");
    await alice.end();
    const mi = client(emu, "orders-api-identity", emu.issueToken("orders-api-identity"));
    await mi.connect();
    expect((await mi.query("select item from orders where id = 1")).rows[0].item).toBe("book");
    await mi.end();
  });

  it("puts Entra-shaped claims in the tokens", () => {
    const claims = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString());
    const header = JSON.parse(Buffer.from(emu.issueToken("alice@contoso.com").split(".")[0]!, "base64url").toString());
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(typeof header.kid).toBe("string");
    const user = claims(emu.issueToken("alice@contoso.com"));
    expect(user).toMatchObject({
      aud: "https://ossrdbms-aad.database.windows.net",
      ver: "1.0",
      upn: "alice@contoso.com",
      unique_name: "alice@contoso.com",
      tid: emu.tenantId,
    });
    expect(user.iss).toBe(`https://sts.windows.net/${emu.tenantId}/`);
    expect(user.oid).toBe(emu.principals.user.oid);
    const mi = claims(emu.issueToken("orders-api-identity"));
    expect(mi.upn).toBeUndefined();
    expect(mi.appid).toBe(emu.principals.managedIdentity.clientId);
    expect(mi.xms_mirid).toMatch(
      /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/orders-api-identity$/,
    );
    const sp = claims(emu.issueToken("reporting-app"));
    expect(sp.upn).toBeUndefined();
    expect(sp.appid).toBe(emu.principals.servicePrincipal.clientId);
    expect(sp.exp - sp.iat).toBe(3600);
  });
});

describe("refusals with Azure's messages", () => {
  it("refuses an expired token: Azure's exact text, the emulator's help in HINT", async () => {
    const token = emu.issueToken("alice@contoso.com", {
      expiresAt: Date.now() - 60_000,
      notBefore: Date.now() - 3_600_000,
    });
    const error = (await refusal(emu, "alice@contoso.com", token)) as pg.DatabaseError;
    expect(error.code).toBe("28000");
    expect(error.message).toBe(EXPIRED_TOKEN_MESSAGE);
    expect(error.hint).toMatch(/only at login/);
  });

  it("refuses a token for another audience", async () => {
    const token = emu.issueToken("alice@contoso.com", { audience: "https://management.azure.com" });
    const error = await refusal(emu, "alice@contoso.com", token);
    expect(error.code).toBe("28000");
    expect(error.message).toBe(invalidAudienceMessage("https://ossrdbms-aad.database.windows.net"));
    expect((error as pg.DatabaseError).hint).toBe(
      'Request the token with the scope "https://ossrdbms-aad.database.windows.net/.default".',
    );
    expect(error.message).toContain(
      'Please acquire a new token for the resource "https://ossrdbms-aad.database.windows.net".',
    );
  });

  it("refuses another principal's token without printing the token", async () => {
    const token = emu.issueToken("reporting-app");
    const error = await refusal(emu, "orders-api-identity", token);
    expect(error.code).toBe("28000");
    expect(error.message).toBe('the access token belongs to another principal than role "orders-api-identity"');
    expect((error as pg.DatabaseError).detail).toContain(emu.principals.servicePrincipal.oid);
    expect((error as pg.DatabaseError).detail).not.toContain(token.split(".")[1]!);
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain(token.split(".")[1]!);
  });

  it("refuses a non-member's token for the group", async () => {
    const error = await refusal(emu, "db-readers", emu.issueToken("reporting-app"));
    expect(error.message).toContain('not a member of group "db-readers"');
  });

  it("refuses a password that is not a JWT, and a bad signature", async () => {
    const error = await refusal(emu, "alice@contoso.com", "not-a-token");
    expect(error.code).toBe("28000");
    expect(error.message).toBe(INVALID_FORMAT_MESSAGE);
    expect((error as pg.DatabaseError).hint).toMatch(/exactly as getToken/);
    const token = emu.issueToken("alice@contoso.com");
    const [h, p] = token.split(".");
    const forged = `${h}.${p}.${Buffer.from("forged-signature").toString("base64url")}`;
    expect((await refusal(emu, "alice@contoso.com", forged)).message).toBe(INVALID_FORMAT_MESSAGE);
  });

  it("refuses plaintext connections", async () => {
    const error = await refusal(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"), false);
    expect(error.message).toBe(SSL_REQUIRED_MESSAGE);
    expect((error as pg.DatabaseError).hint).toMatch(/TLS/);
  });

  it("fails TLS verification with the wrong CA", async () => {
    const other = await createCertificates();
    const error = await refusal(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"), {
      ca: other.caCert,
      rejectUnauthorized: true,
    });
    // The code, not Node's message (Node 24 adds a hint to the message).
    // The other CA has the same name as the server's issuer, so OpenSSL finds it and the signature check fails.
    expect(error.code).toBe("CERT_SIGNATURE_FAILURE");
  });

  it("refuses an unknown role", async () => {
    const error = await refusal(emu, "mallory", emu.issueToken("alice@contoso.com"));
    expect(error.code).toBe("28P01");
  });

  it("counts logins", () => {
    const { logins } = emu.stats();
    expect(logins.ok).toBeGreaterThan(0);
    expect(logins.refused).toBeGreaterThan(0);
  });
});

/**
 * The outcome of a query that is about to be cancelled, handled at once: the cancel can land while
 * the test still awaits something else, and an unhandled rejection would fail the run.
 */
function settle(query: Promise<unknown>): Promise<unknown> {
  return query.then(
    () => "not cancelled",
    (error: unknown) => error,
  );
}

describe("the server's clock (configureServer)", () => {
  it("clockSkewSeconds: a token with less time left than the skew is refused as expired, a fresher one logs in", async () => {
    const user = "alice@contoso.com";
    const soon = emu.issueToken(user, { expiresAt: Date.now() + 30_000 });
    const fresh = emu.issueToken(user, { expiresAt: Date.now() + 120_000 });
    try {
      expect(await currentUser(emu, user, soon)).toBe(user);
      emu.configureServer({ clockSkewSeconds: 60 });
      const error = await refusal(emu, user, soon);
      expect(error.code).toBe("28000");
      expect(error.message).toBe(EXPIRED_TOKEN_MESSAGE);
      expect(await currentUser(emu, user, fresh)).toBe(user);
      emu.configureServer({ clockSkewSeconds: -60 }); // behind: a token issued now is not valid yet
      expect((await refusal(emu, user, emu.issueToken(user))).message).toBe(NOT_YET_VALID_MESSAGE);
    } finally {
      emu.configureServer({ clockSkewSeconds: 0 });
    }
    expect(await currentUser(emu, user, soon)).toBe(user);
  });

  it("refuses a skew that is not a number", () => {
    expect(() => emu.configureServer({ clockSkewSeconds: Number.NaN })).toThrow(
      /clockSkewSeconds must be a finite number/,
    );
    expect(() => emu.configureServer({ clockSkewSeconds: "60" as unknown as number })).toThrow(TypeError);
  });
});

describe("sessions", () => {
  it("forwards pg's CancelRequest (sent on a new plaintext connection) to the backend", async () => {
    const c = client(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"));
    await c.connect();
    const sleeping = new pg.Query("select pg_sleep(30)");
    const outcome = settle(
      new Promise((resolve, reject) => {
        sleeping.on("end", resolve);
        sleeping.on("error", reject);
      }),
    );
    c.query(sleeping);
    await waitForActiveQuery(emu, "alice@contoso.com", "select pg_sleep(30)");
    const canceller = new pg.Client({
      host: emu.host,
      port: emu.port,
      database: emu.database,
      user: "alice@contoso.com",
      password: "unused",
      ssl: { ca: emu.ca },
    });
    // pg's Client#cancel sends a 16-byte CancelRequest with the backend's key data on a new socket.
    (canceller as unknown as { cancel(client: pg.Client, query: pg.Query): void }).cancel(c, sleeping);
    expect(await outcome).toMatchObject({ code: "57014" });
    expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
    await c.end();
  });

  it("forwards a CancelRequest sent over TLS", async () => {
    const c = client(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"));
    await c.connect();
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    const outcome = settle(c.query("select pg_sleep(30)"));
    await waitForActiveQuery(emu, "alice@contoso.com", "select pg_sleep(30)");
    const raw = net.connect(emu.port, "127.0.0.1");
    await once(raw, "connect");
    const sslRequest = Buffer.alloc(8);
    sslRequest.writeInt32BE(8, 0);
    sslRequest.writeInt32BE(80877103, 4);
    raw.write(sslRequest);
    const [answer] = (await once(raw, "data")) as [Buffer];
    expect(answer.toString()).toBe("S");
    const secure = tls.connect({ socket: raw, ca: emu.ca, servername: "localhost" });
    await once(secure, "secureConnect");
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    cancel.writeInt32BE(processID, 8);
    cancel.writeInt32BE(secretKey, 12);
    secure.end(cancel);
    expect(await outcome).toMatchObject({ code: "57014" });
    secure.destroy();
    await c.end();
  });

  it("cancels with pg_cancel_backend from a second connection", async () => {
    const a = client(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"));
    await a.connect();
    const pid = (await a.query("select pg_backend_pid() as pid")).rows[0].pid;
    const outcome = settle(a.query("select pg_sleep(30)"));
    await waitForActiveQuery(emu, "alice@contoso.com", "select pg_sleep(30)");
    const b = client(emu, "alice@contoso.com", emu.issueToken("alice@contoso.com"));
    await b.connect();
    expect((await b.query("select pg_cancel_backend($1) as ok", [pid])).rows[0].ok).toBe(true);
    expect(await outcome).toMatchObject({ code: "57014" });
    await Promise.all([a.end(), b.end()]);
  });

  it("issues short-lived tokens that expire; an open session outlives its token", async () => {
    emu.configurePrincipal("reporting-app", { tokenLifetimeSeconds: 2 }); // exp has whole seconds: valid for 1-2 s
    const token = await emu.credential("reporting-app").getToken(SCOPE);
    expect(token.expiresOnTimestamp - Date.now()).toBeLessThanOrEqual(2000);
    const open = client(emu, "reporting-app", token.token);
    await open.connect();
    // Real time on purpose: the real server must see an expired token. Wait exactly until expiry.
    await new Promise((r) => setTimeout(r, Math.max(0, token.expiresOnTimestamp - Date.now()) + 20));
    const error = await refusal(emu, "reporting-app", token.token);
    expect(error.message).toBe(EXPIRED_TOKEN_MESSAGE);
    expect((await open.query("select current_user")).rows[0].current_user).toBe("reporting-app");
    await open.end();
    emu.configurePrincipal("reporting-app", { tokenLifetimeSeconds: 3600 });
  });
});
