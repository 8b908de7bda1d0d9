// The adapter conformance suite: every adapter package runs it against the emulator (real
// PostgreSQL, real TLS, Azure's token checks), so that all adapters keep the same promises.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeCredential, tokenFor } from "./fake-jwt.js";
import { type PlaintextTrap, startPlaintextTrap } from "./start-plaintext-trap.js";
import {
  describeTlsSetting,
  expectedTlsOutcome,
  type TlsSetting,
  type TlsSettingKind,
  tlsSettings,
} from "./tls-settings.js";
import { useEmulatorEnvironment } from "./use-emulator-environment.js";

/** Where and how to connect: the emulator's TLS front, its CA, and the principal's credential. */
export interface ConformanceConnectOptions {
  host: string;
  port: number;
  database: string;
  /** CA of the emulator's server certificate: connect with verified TLS (`rejectUnauthorized: true`). */
  ca: string;
  /** The same CA as a PEM file, for adapters that read `sslrootcert` from a file as libpq does. */
  caFile: string;
  credential: TokenCredential;
  /** An explicit role name (the adapter's `username` option or the driver's own user setting). */
  username?: string;
  /**
   * When set, the driver's pool retires a connection after about this many milliseconds (or when
   * it idles), so that one long-lived pool keeps opening new physical connections.
   */
  retireAfterMs?: number;
  /**
   * The TLS table's case: connect with this setting, as a user of the driver writes it, instead of
   * the verified TLS with `ca` (give no CA at all: Node's own CAs, which do not trust the emulator).
   */
  tls?: TlsSetting;
  /** Pass the adapter's `allowInsecureLoopback: true`. */
  allowInsecureLoopback?: boolean;
}

/** One open physical connection made through the adapter (with `retireAfterMs`: a long-lived pool). */
export interface ConformanceConnection {
  /** `select current_user` on this connection (or on the pool's current one). */
  currentUser(): Promise<string>;
  close(): Promise<void>;
}

/** What an adapter package gives the suite: its driver's natural program, cut into three verbs. */
export interface AdapterUnderTest {
  /** Name in the test titles, e.g. "pg" or "Sequelize v7". */
  name: string;
  /** Opens one new physical connection the way a user of this adapter would. */
  connect(options: ConformanceConnectOptions): Promise<ConformanceConnection>;
  /** Sets the adapter up without connecting (must check the credential at once). */
  setUp(credential: unknown): unknown;
  /** Runs the adapter's own password hook for a connection to `host`; resolves to the password it hands the driver. */
  passwordFor(credential: TokenCredential, host: string): Promise<string>;
  /** How the driver meets the TLS table. */
  tlsTable: {
    /** The driver's default is no TLS and the adapter cannot turn TLS on (pg's password function). */
    plaintextWithoutSetting?: boolean;
    /** Settings the driver has no way to express through this adapter, and why. */
    cannotExpress?: Partial<Record<TlsSettingKind, string>>;
  };
}

/** Token lifetime in the expiry test: short, so the suite stays fast, but longer than a login. */
const SHORT_TOKEN_SECONDS = 2;

/**
 * In the expiry tests the credential reports each token's expiry this many seconds before the token's
 * real `exp`. The cache hands a token out until the last quarter of its life: 30 s of margin with
 * Azure's tokens, but under a second with these short ones, less than a login can take while the
 * whole workspace's tests load two cores (a 3 s token handed out with 0.7 s left was refused as
 * expired). So a token handed out by the cache's rule stays valid at the server for that margin plus
 * these seconds, while a token kept past its expiry (the failure these tests guard against) is still
 * refused within the test's run.
 */
const SERVER_GRACE_SECONDS = 3;

/** `credential`, reporting each token's expiry `SERVER_GRACE_SECONDS` early (a new object: a cold cache). */
function reportingEarlyExpiry(credential: TokenCredential): TokenCredential {
  return {
    async getToken(scopes, options) {
      const token = await credential.getToken(scopes, options);
      return token && { ...token, expiresOnTimestamp: token.expiresOnTimestamp - SERVER_GRACE_SECONDS * 1_000 };
    },
  };
}

/**
 * Registers the conformance tests for one adapter. Call it once per test file, at the top level
 * of a file in the adapter's `test/integration/` folder: each call starts its own emulator, and
 * `@azure/identity` keeps managed identity tokens per process, so two emulators in one process
 * would see each other's tokens.
 */
export function describeAdapterConformance(adapter: AdapterUnderTest): void {
  describe(`adapter conformance: ${adapter.name}`, () => {
    let emu: Emulator;
    let restoreEnvironment: () => void;
    beforeAll(async () => {
      emu = await startEmulator();
      restoreEnvironment = useEmulatorEnvironment(emu);
    });
    afterAll(async () => {
      restoreEnvironment?.();
      await emu?.stop();
    });

    const target = () => ({ host: emu.host, port: emu.port, database: emu.database, ca: emu.ca, caFile: emu.caFile });
    const loginAs = async (credential: TokenCredential, username?: string) => {
      const connection = await adapter.connect({
        ...target(),
        credential,
        ...(username === undefined ? {} : { username }),
      });
      try {
        return await connection.currentUser();
      } finally {
        await connection.close();
      }
    };

    it("logs in as a managed identity through an unmodified DefaultAzureCredential, the role named after the identity", async () => {
      expect(await loginAs(new DefaultAzureCredential())).toBe(emu.principals.managedIdentity.roleName);
    });

    it("logs in as a user, the role named by the token's upn", async () => {
      const { user } = emu.principals;
      expect(await loginAs(emu.credential(user.name))).toBe(user.roleName);
    });

    it("logs in through a group: the group's role name with the member's own token", async () => {
      const { user, group } = emu.principals;
      expect(await loginAs(emu.credential(user.name), group.roleName)).toBe(group.roleName);
    });

    it("an explicit role name wins over PGUSER and the token's claims", async () => {
      const { servicePrincipal } = emu.principals;
      const before = process.env.PGUSER;
      process.env.PGUSER = "not-this-role";
      try {
        expect(await loginAs(emu.credential(servicePrincipal.name), servicePrincipal.roleName)).toBe(
          servicePrincipal.roleName,
        );
      } finally {
        if (before === undefined) delete process.env.PGUSER;
        else process.env.PGUSER = before;
      }
    });

    it("new connections across the expiry of short tokens: none refused, about one token request per lifetime", async () => {
      const { managedIdentity } = emu.principals;
      // Valid at the server for the lifetime and the grace; the cache sees SHORT_TOKEN_SECONDS.
      emu.configurePrincipal(managedIdentity.name, {
        tokenLifetimeSeconds: SHORT_TOKEN_SECONDS + SERVER_GRACE_SECONDS,
      });
      const credential = reportingEarlyExpiry(emu.credential(managedIdentity.name));
      emu.resetStats();
      try {
        let connections = 0;
        const started = Date.now();
        // Until the first token has been expired at the server for a lifetime, in bursts of three
        // connections at once: a burst shares one token (one credential call at most).
        const until = started + (SHORT_TOKEN_SECONDS * 2 + SERVER_GRACE_SECONDS) * 1_000;
        while (Date.now() < until) {
          const burst = await Promise.all([1, 2, 3].map(() => loginAs(credential)));
          expect(burst).toEqual([managedIdentity.roleName, managedIdentity.roleName, managedIdentity.roleName]);
          connections += burst.length;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const stats = emu.stats();
        expect(stats.logins.refused).toBe(0);
        // At least one login per connection: some drivers open one more per connect (Sequelize v6 to
        // read the server version, Slonik's pg driver to read type ids at createPool).
        expect(stats.logins.ok).toBeGreaterThanOrEqual(connections);
        const requests = stats.tokenRequests.byPrincipal[managedIdentity.name] ?? 0;
        expect(requests).toBeGreaterThanOrEqual(3); // the token was renewed as it aged
        // And shared between connections in between. The cache renews a token from half its
        // lifetime on, so at most about one request per half lifetime, plus the first. The bound is
        // by time, not by the number of connections: with the whole workspace's tests in parallel
        // on two cores a Sequelize v6 connection (two logins) took about half a second, and
        // "fewer than half as many requests as connections" failed with 6 requests for 11.
        const halfLifetimes = (Date.now() - started) / (SHORT_TOKEN_SECONDS * 500);
        expect(requests).toBeLessThanOrEqual(Math.ceil(halfLifetimes) + 1);
        expect(requests).toBeLessThan(connections);
      } finally {
        emu.configurePrincipal(managedIdentity.name, { tokenLifetimeSeconds: 3600 });
      }
    });

    it("one long-lived pool keeps logging in across token expiry: none refused, the token renewed, not one per connection", async () => {
      // The production failure this guards against: a pool that keeps the token it got first
      // (MikroORM with a plain password function) is refused once that token expires.
      const { managedIdentity } = emu.principals;
      emu.configurePrincipal(managedIdentity.name, { tokenLifetimeSeconds: 3 + SERVER_GRACE_SECONDS }); // the cache sees 3 s
      const credential = reportingEarlyExpiry(emu.credential(managedIdentity.name));
      emu.resetStats();
      const pool = await adapter.connect({ ...target(), credential, retireAfterMs: 1_000 });
      try {
        // The first token expires at the server 6 s in (the cache sees it expire 3 s in): new physical
        // connections keep being made for 4 s after that, which a pool keeping its first token fails.
        const until = Date.now() + 10_000;
        while (Date.now() < until) {
          expect(await pool.currentUser()).toBe(managedIdentity.roleName);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        const stats = emu.stats();
        expect(stats.logins.refused).toBe(0);
        expect(stats.logins.ok).toBeGreaterThanOrEqual(5); // new physical connections well past the first token's expiry
        const requests = stats.tokenRequests.byPrincipal[managedIdentity.name] ?? 0;
        expect(requests).toBeGreaterThanOrEqual(2); // renewed as the token aged
        expect(requests).toBeLessThan(stats.logins.ok); // shared between connections
      } finally {
        emu.configurePrincipal(managedIdentity.name, { tokenLifetimeSeconds: 3600 });
        await pool.close();
      }
    });

    it("refuses a server certificate from a CA it was not given: no login reaches the server", async () => {
      const otherCa = rootCertificates[0]!; // a real root CA, but not the emulator's
      const otherCaFile = join(mkdtempSync(join(tmpdir(), "conformance-ca-")), "ca.pem");
      writeFileSync(otherCaFile, otherCa);
      const { user } = emu.principals;
      emu.resetStats();
      await expect(
        adapter.connect({
          ...target(),
          ca: otherCa,
          caFile: otherCaFile,
          credential: emu.credential(user.name),
          username: user.roleName,
        }),
      ).rejects.toThrow(/self-signed certificate in certificate chain|unable to verify the first certificate/);
      expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
    });

    it("a storm of 50 new connections makes one credential call", async () => {
      const { user } = emu.principals;
      const credential = emu.credential(user.name);
      emu.configurePrincipal(user.name, { latencyMs: 50 }); // all 50 ask while the first request is in flight
      emu.resetStats();
      try {
        const connections = await Promise.all(
          Array.from({ length: 50 }, () => adapter.connect({ ...target(), credential })),
        );
        try {
          expect(emu.stats().logins.refused).toBe(0);
          expect(emu.stats().logins.ok).toBeGreaterThanOrEqual(50);
          expect(emu.stats().tokenRequests.byPrincipal[user.name]).toBe(1);
        } finally {
          await Promise.all(connections.map((connection) => connection.close()));
        }
      } finally {
        emu.configurePrincipal(user.name, { latencyMs: 0 });
      }
    });

    it("a US Government host gets a token for the US Government cloud's scope", async () => {
      const credential = fakeCredential(() =>
        tokenFor({ upn: "alice@contoso.com", oid: "11111111-1111-1111-1111-111111111111" }),
      );
      await adapter.passwordFor(credential, "myserver.postgres.database.usgovcloudapi.net");
      expect(credential.calls.map((call) => call.scopes)).toEqual([
        ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ]);
    });

    describe("the TLS table: one rule in every adapter (the token only goes over TLS that verifies the server)", () => {
      let trap: PlaintextTrap;
      beforeAll(async () => {
        trap = await startPlaintextTrap();
      });
      afterAll(async () => {
        await trap?.close();
      });

      /** Runs one connection with PGSSLMODE as given (else unset) and no PGSSLROOTCERT; resolves to its error. */
      const attempt = async (options: Partial<ConformanceConnectOptions>, pgsslmode?: string): Promise<unknown> => {
        const saved = { PGSSLMODE: process.env.PGSSLMODE, PGSSLROOTCERT: process.env.PGSSLROOTCERT };
        delete process.env.PGSSLROOTCERT;
        if (pgsslmode === undefined) delete process.env.PGSSLMODE;
        else process.env.PGSSLMODE = pgsslmode;
        try {
          const { user } = emu.principals; // an explicit role: no token for the role name at set-up
          const connection = await adapter.connect({
            ...target(),
            credential: emu.credential(user.name),
            username: user.roleName,
            ...options,
          });
          await connection.close();
          return undefined;
        } catch (error) {
          return error;
        } finally {
          for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
          }
        }
      };

      const rows = tlsSettings.filter((setting) => adapter.tlsTable.cannotExpress?.[setting.kind] === undefined);
      it.each(rows.map((setting) => [describeTlsSetting(setting), setting] as const))("%s", async (_name, setting) => {
        const outcome = expectedTlsOutcome(setting, adapter.tlsTable.plaintextWithoutSetting);
        // Plaintext goes to the trap (a server that asks for the password without TLS); TLS to the emulator.
        const server = outcome === "refused: plaintext" ? trap : emu;
        emu.resetStats();
        trap.passwords.length = 0;
        const error = await attempt(
          { host: server.host, port: server.port, tls: setting },
          setting.kind === "PGSSLMODE" ? setting.mode : undefined,
        );
        if (outcome === "verified") {
          // TLS that verifies: the emulator's certificate (from a CA Node does not know) is refused.
          expect(messagesOf(error)).toMatch(
            /self-signed certificate in certificate chain|unable to verify the first certificate/,
          );
        } else {
          expect(entraErrorIn(error), messagesOf(error)).toMatchObject({ code: "INSECURE_CONNECTION" });
          expect(emu.stats().tokenRequests.total).toBe(0); // refused before any token was requested
        }
        expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
        expect(trap.passwords).toEqual([]);
      });

      it("no TLS setting, to a server that offers no TLS: no password reaches it", async () => {
        trap.passwords.length = 0;
        expect(await attempt({ host: trap.host, port: trap.port, tls: { kind: "none" } })).toBeDefined();
        expect(trap.passwords).toEqual([]);
      });

      it("plaintext to this machine with allowInsecureLoopback: the token reaches the local server (a proxy)", async () => {
        trap.passwords.length = 0;
        const setting: TlsSetting =
          adapter.tlsTable.cannotExpress?.["ssl: false"] === undefined
            ? { kind: "ssl: false" }
            : { kind: "sslmode", mode: "disable" };
        await attempt({ host: trap.host, port: trap.port, tls: setting, allowInsecureLoopback: true });
        expect(trap.passwords).toEqual([expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)]);
      });
    });

    it("a null credential throws the typed error at set-up, before any connection", () => {
      emu.resetStats();
      // Synchronously: an adapter whose set-up returns a promise still checks its arguments first
      // and throws, so the mistake shows where the adapter is set up, not in a rejected promise.
      expect(() => adapter.setUp(null)).toThrowError(
        expect.objectContaining({ name: "EntraAuthError", code: "CREDENTIAL_REQUIRED" }),
      );
      expect(emu.stats().tokenRequests.total).toBe(0);
      expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
    });
  });
}

/** Our error, wherever the driver put it (as is, or as the `cause`, `original` or `parent` of its own). */
function entraErrorIn(error: unknown, depth = 0): { code: string } | undefined {
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const e = error as { name?: unknown; code?: unknown; cause?: unknown; original?: unknown; parent?: unknown };
  if (e.name === "EntraAuthError" && typeof e.code === "string") return e as { code: string };
  for (const inner of [e.cause, e.original, e.parent]) {
    const found = entraErrorIn(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The messages of an error and of what it wraps, for matching. */
function messagesOf(error: unknown, depth = 0): string {
  if (typeof error !== "object" || error === null || depth > 5) return String(error);
  const e = error as { message?: unknown; cause?: unknown; original?: unknown; parent?: unknown };
  const inner = [e.cause, e.original, e.parent].filter((x) => x !== undefined && x !== error);
  return [String(e.message), ...inner.map((x) => messagesOf(x, depth + 1))].join(" | ");
}
