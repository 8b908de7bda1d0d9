// Several servers in one proxy, with a stand-in credential and servers that cannot be reached:
// each server's token is asked for with its own cloud's scope, servers of one cloud share one
// cached token, every connection ends with one connection_closed line, and listening beyond
// loopback without a local password is warned about.
import net from "node:net";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import { type AuthProxy, startAuthProxy } from "../src/index.js";
import type { ProxyLogLevel } from "../src/proxy-logger.js";
import { parseErrorFields, splitMessages, startupMessage } from "../src/wire-protocol.js";

const fakeJwt = (claims: object) =>
  `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.c2ln`;

function recordingCredential() {
  const scopes: string[] = [];
  const credential: TokenCredential = {
    getToken: async (scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> => {
      scopes.push([scope].flat().join(" "));
      return {
        token: fakeJwt({ upn: "unit@contoso.com", oid: "x", exp: Date.now() / 1000 + 3600 }),
        expiresOnTimestamp: Date.now() + 3600_000,
      };
    },
  };
  return { credential, scopes };
}

function collectingLogger() {
  const lines: Array<{ level: ProxyLogLevel; event: string; fields: Record<string, unknown> }> = [];
  return {
    lines,
    logger: { log: (level: ProxyLogLevel, event: string, fields = {}) => lines.push({ level, event, fields }) },
  };
}

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Logs in through a listener; returns the proxy's ErrorResponse fields (the servers are unreachable). */
function login(port: number): Promise<{ code: string; message: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, "127.0.0.1", () => socket.write(startupMessage([["user", "unit@contoso.com"]])));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const e = splitMessages(Buffer.concat(chunks)).messages.find((m) => m.type === "E");
      if (!e) reject(new Error("no ErrorResponse"));
      else resolve(parseErrorFields(e.body));
    });
  });
}

let proxy: AuthProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe("several servers in one proxy", () => {
  it("each server's token has its cloud's scope; servers of one cloud share one token", async () => {
    const { credential, scopes } = recordingCredential();
    const port = await closedPort();
    proxy = await startAuthProxy({
      servers: [
        { host: "one.postgres.database.azure.com", port, listen: { port: 0 } },
        { host: "two.postgres.database.azure.com", port, listen: { port: 0 } },
        { host: "gov.postgres.database.usgovcloudapi.net", port, listen: { port: 0 } },
      ],
      credential,
      connectTimeoutMs: 2000,
    });
    expect(proxy.servers.map((s) => s.server)).toEqual([
      `one.postgres.database.azure.com:${port}`,
      `two.postgres.database.azure.com:${port}`,
      `gov.postgres.database.usgovcloudapi.net:${port}`,
    ]);
    const ports = proxy.servers.map((s) => s.tcp!.port);
    expect(new Set(ports).size).toBe(3); // a listener each
    for (const p of ports) expect((await login(p)).code).toBe("08006"); // token first, then the unreachable server
    expect(scopes.sort()).toEqual([
      "https://ossrdbms-aad.database.usgovcloudapi.net/.default",
      "https://ossrdbms-aad.database.windows.net/.default",
    ]);
    const metrics = (await proxy.metrics.scrape()).text;
    for (const s of proxy.servers) {
      expect(metrics.split("\n")).toContain(`azure_pg_proxy_login_failures_total{code="08006",server="${s.server}"} 1`);
      expect(metrics.split("\n")).toContain(`azure_pg_proxy_connections_total{server="${s.server}"} 1`);
    }
    expect(await proxy.roleFor("", "gov.postgres.database.usgovcloudapi.net")).toBe("unit@contoso.com");
  });

  it("host and servers together, or no server, are refused with INVALID_OPTION", async () => {
    const { credential } = recordingCredential();
    await expect(startAuthProxy({ host: "a", servers: [{ host: "b" }], credential })).rejects.toMatchObject({
      code: "INVALID_OPTION",
    });
    await expect(startAuthProxy({ credential })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/give host .* or servers/),
    });
  });
});

describe("one connection_closed line per connection", () => {
  it("names the server, the client, the role, the bytes, the duration and why it ended", async () => {
    const { credential } = recordingCredential();
    const { lines, logger } = collectingLogger();
    const port = await closedPort();
    proxy = await startAuthProxy({
      host: "127.0.0.1",
      port,
      listen: { port: 0 },
      credential,
      logger,
      connectTimeoutMs: 2000,
    });
    await login(proxy.tcp!.port);
    // An empty connection that the client closes itself.
    await new Promise<void>((resolve) => {
      const s = net.connect(proxy!.tcp!.port, "127.0.0.1", () => s.end());
      s.on("close", () => resolve());
    });
    while (lines.filter((l) => l.event === "connection_closed").length < 2) await new Promise((r) => setTimeout(r, 5));
    const [refused, empty] = lines.filter((l) => l.event === "connection_closed").map((l) => l.fields);
    expect(refused).toMatchObject({
      server: `127.0.0.1:${port}`,
      client: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      role: "unit@contoso.com",
      reason: "refused",
      sqlstate: "08006",
      bytesFromClient: startupMessage([["user", "unit@contoso.com"]]).length,
    });
    expect(refused!.bytesToClient).toBeGreaterThan(0);
    expect(refused!.durationMs).toBeGreaterThanOrEqual(0);
    expect(empty).toMatchObject({ server: `127.0.0.1:${port}`, reason: "client_closed", bytesFromClient: 0 });
    expect(lines.find((l) => l.event === "connection_closed")?.level).toBe("info");
  });
});

describe("listening beyond loopback", () => {
  it("without a local password: a warning that names the risk and the fix; with one: none", async () => {
    const { credential } = recordingCredential();
    const warned = collectingLogger();
    proxy = await startAuthProxy({
      host: "a.postgres.database.azure.com",
      listen: { address: "0.0.0.0", port: 0 },
      credential,
      logger: warned.logger,
    });
    const warning = warned.lines.find((l) => l.event === "listening_beyond_loopback");
    expect(warning?.level).toBe("warn");
    expect(String(warning?.fields.risk)).toMatch(
      /anyone who can reach 0\.0\.0\.0:\d+ is logged in to a\.postgres\.database\.azure\.com:5432 as this proxy's Entra identity/,
    );
    expect(String(warning?.fields.fix)).toMatch(/--local-password-file/);
    await proxy.close();

    const quiet = collectingLogger();
    proxy = await startAuthProxy({
      host: "a.postgres.database.azure.com",
      listen: { address: "0.0.0.0", port: 0 },
      localPassword: "s3cret",
      credential,
      logger: quiet.logger,
    });
    expect(quiet.lines.some((l) => l.event === "listening")).toBe(true);
    expect(quiet.lines.some((l) => l.event === "listening_beyond_loopback")).toBe(false);
    await proxy.close();

    const loopback = collectingLogger();
    proxy = await startAuthProxy({ host: "a", listen: { port: 0 }, credential, logger: loopback.logger });
    expect(loopback.lines.some((l) => l.event === "listening_beyond_loopback")).toBe(false);
  });
});
