// The span per client login when it fails before the server answers, through a real OpenTelemetry
// SDK kept in memory: no token (token_failed, 28000) and a server that cannot be reached
// (upstream_failed, 08006). The successful and the refused login are tested end to end in
// test/integration/proxy-otlp.integration.test.ts.
import net from "node:net";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { type InMemoryTelemetry, startInMemoryTelemetry } from "@azure-postgresql-auth/test-support/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthProxy } from "../src/index.js";
import { startupMessage } from "../src/wire-protocol.js";

const fakeJwt = (claims: object) =>
  `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.c2ln`;

let telemetry: InMemoryTelemetry;
beforeAll(() => {
  telemetry = startInMemoryTelemetry();
});
afterAll(() => telemetry.stop());

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Sends a startup message and waits for the proxy to close the connection. */
function loginOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(startupMessage([["user", "unit@contoso.com"]])));
    socket.on("data", () => undefined);
    socket.on("error", reject);
    socket.on("close", () => resolve());
  });
}

async function loginSpans(credential: TokenCredential) {
  const before = telemetry.spans().length;
  const proxy = await startAuthProxy({
    host: "127.0.0.1",
    port: await closedPort(),
    listen: { port: 0 },
    credential,
    connectTimeoutMs: 2000,
  });
  try {
    await loginOnce(proxy.tcp!.port);
  } finally {
    await proxy.close();
  }
  return telemetry.spans().slice(before);
}

describe("a span per client login", () => {
  it("a server that cannot be reached: upstream_failed, 08006, the connect phase failed", async () => {
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => ({
        token: fakeJwt({ upn: "unit@contoso.com", exp: Date.now() / 1000 + 3600 }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      }),
    };
    const spans = await loginSpans(credential);
    const login = spans.find((s) => s.name === "azure_postgresql_auth.proxy.client_login")!;
    expect(login.attributes).toMatchObject({
      "server.address": "127.0.0.1",
      "azure.postgresql_auth.outcome": "upstream_failed",
      "azure.postgresql_auth.role": "unit@contoso.com",
      "db.response.status_code": "08006",
      "error.type": "upstream_tcp",
    });
    expect(login.status.code).toBe(2);
    const phases = spans.filter((s) => s.parentSpanContext?.spanId === login.spanContext().spanId);
    expect(phases.map((s) => [s.name, s.status.code]).sort()).toEqual([
      ["connect", 2],
      ["token", 0],
    ]);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toMatch(/eyJ/);
  });

  it("no token: token_failed, the 28000 the client got, our error code", async () => {
    const credential: TokenCredential = { getToken: () => Promise.reject(new Error("denied")) };
    const spans = await loginSpans(credential);
    const login = spans.find((s) => s.name === "azure_postgresql_auth.proxy.client_login")!;
    expect(login.attributes).toMatchObject({
      "azure.postgresql_auth.outcome": "token_failed",
      "db.response.status_code": "28000",
      "error.type": "TOKEN_ACQUISITION_FAILED",
    });
    expect(login.attributes["azure.postgresql_auth.role"]).toBeUndefined();
  });
});
