// The proxy through the core's login policy, against the emulator: its upstream TLS always verifies
// the server, whatever the PGSSLMODE of its own environment says (that variable describes the
// client's hop: `exec` sets PGSSLMODE=disable for its command), and the role is the core's choice
// with the client's user name as the configured user, never this process's PGUSER.
import net from "node:net";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { describeTlsSetting, tlsSettings } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthProxy, type AuthProxyOptions, startAuthProxy } from "../../src/index.js";
import { startupMessage } from "../../src/wire-protocol.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

/** Runs `run` with these environment variables set (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await run();
  } finally {
    apply(saved);
  }
}

type Events = Array<{ event: string; fields: Record<string, unknown> }>;

async function withProxy<T>(
  options: Partial<AuthProxyOptions>,
  run: (proxy: AuthProxy, events: Events) => Promise<T>,
): Promise<T> {
  const events: Events = [];
  const proxy = await startAuthProxy({
    host: emu.host,
    port: emu.port,
    credential: emu.credential(emu.principals.user.name),
    listen: { port: 0 },
    logger: { log: (_level, event, fields = {}) => void events.push({ event, fields }) },
    ...options,
  });
  try {
    return await run(proxy, events);
  } finally {
    await proxy.close();
  }
}

/** A pg client through the proxy (plaintext on loopback, no password): its current_user, or its error. */
async function currentUserThrough(proxy: AuthProxy, user: string): Promise<string | Error> {
  const client = new pg.Client({ host: "127.0.0.1", port: proxy.tcp!.port, user, database: "appdb", ssl: false });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.query<{ current_user: string }>("select current_user")).rows[0]!.current_user;
  } catch (error) {
    return error as Error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A client that sends exactly this user name (pg would put PGUSER in place of an empty one); resolves when the proxy closes. */
function startupAs(proxy: AuthProxy, user: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(proxy.tcp!.port, "127.0.0.1", () =>
      socket.write(
        startupMessage([
          ["user", user],
          ["database", "appdb"],
        ]),
      ),
    );
    socket.on("data", () => socket.end());
    socket.on("error", () => undefined);
    socket.on("close", () => resolve());
  });
}

describe("the proxy's upstream TLS: the login policy's verified TLS, whatever PGSSLMODE its process has", () => {
  const pgsslmodes = [undefined, ...tlsSettings.filter((s) => s.kind === "PGSSLMODE").map((s) => s.mode)];
  it.each(
    pgsslmodes.map((mode) => [mode === undefined ? "none" : describeTlsSetting({ kind: "PGSSLMODE", mode }), mode]),
  )(
    "%s: a certificate from a CA it was not given is refused, no login reaches the server; with the CA it logs in",
    async (_name, mode) => {
      await withEnv({ PGSSLMODE: mode, PGSSLROOTCERT: undefined }, async () => {
        emu.resetStats();
        const refused = await withProxy({}, (proxy) => currentUserThrough(proxy, emu.principals.user.roleName));
        expect(String(refused)).toMatch(
          /self-signed certificate in certificate chain|unable to verify the first certificate/,
        );
        expect(emu.stats().logins).toEqual({ ok: 0, refused: 0 });
        const loggedIn = await withProxy({ ca: emu.ca }, (proxy) =>
          currentUserThrough(proxy, emu.principals.user.roleName),
        );
        expect(loggedIn).toBe(emu.principals.user.roleName);
      });
    },
  );
});

describe("the proxy's role choice: the core's rules, the client's user name as the configured user", () => {
  it("a client without a user name gets the role from the token, never this process's PGUSER", async () => {
    const { servicePrincipal } = emu.principals; // its token names no user: the role would come after PGUSER
    await withEnv({ PGUSER: "leaked-from-the-proxy-process" }, () =>
      withProxy({ ca: emu.ca, credential: emu.credential(servicePrincipal.name) }, async (proxy, events) => {
        await startupAs(proxy, "");
        const decided = events.find((e) => e.event === "login_ok" || e.event === "login_refused");
        expect(decided?.fields).toMatchObject({ role: servicePrincipal.clientId, roleSource: "the token (appid)" });
      }),
    );
  });

  it("the client's user name is used (group login); --username wins over it; --role-from-token ignores it", async () => {
    const { user, group } = emu.principals;
    await withProxy({ ca: emu.ca }, async (proxy, events) => {
      expect(await currentUserThrough(proxy, group.roleName)).toBe(group.roleName);
      expect(events.find((e) => e.event === "login_ok")?.fields).toMatchObject({
        role: group.roleName,
        roleSource: "the client's user name",
      });
    });
    await withProxy({ ca: emu.ca, username: group.roleName }, async (proxy, events) => {
      expect(await currentUserThrough(proxy, "someone-else")).toBe(group.roleName);
      expect(events.find((e) => e.event === "login_ok")?.fields).toMatchObject({
        roleSource: "the proxy's --username",
      });
    });
    await withProxy({ ca: emu.ca, roleFromToken: true }, async (proxy) => {
      expect(await currentUserThrough(proxy, group.roleName)).toBe(user.roleName);
    });
  });
});
