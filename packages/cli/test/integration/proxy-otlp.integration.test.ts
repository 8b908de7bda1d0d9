// The proxy's OpenTelemetry export, end to end: the real bin against the emulator, with a small
// OTLP/HTTP (JSON) receiver in this test. OTEL_EXPORTER_OTLP_ENDPOINT (or --otlp URL) turns it on;
// the process sends what is left when it stops, so the test waits for its exit, not for a timer.
import http from "node:http";
import type net from "node:net";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsJwt, managedIdentityEnv, startProxyProcess } from "./proxy-process.js";

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: Array<{ attributes: OtlpAttribute[]; asInt?: string | number; asDouble?: number }> };
}

/** A receiver of OTLP/HTTP JSON: keeps every request's path and body. */
async function startReceiver() {
  const received: Array<{ path: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const of = <T>(path: string, pick: (payload: Record<string, unknown[]>) => T[]): T[] =>
    received.filter((r) => r.path === path).flatMap((r) => pick(JSON.parse(r.body) as Record<string, unknown[]>));
  return {
    url,
    received,
    spans: () =>
      of("/v1/traces", (p) =>
        (p.resourceSpans as Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>).flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans),
        ),
      ),
    metrics: () =>
      of("/v1/metrics", (p) =>
        (p.resourceMetrics as Array<{ scopeMetrics: Array<{ metrics: OtlpMetric[] }> }>).flatMap((r) =>
          r.scopeMetrics.flatMap((s) => s.metrics),
        ),
      ),
    serviceNames: () =>
      received.flatMap((r) => {
        const payload = JSON.parse(r.body) as Record<string, Array<{ resource: { attributes: OtlpAttribute[] } }>>;
        return Object.values(payload).flatMap((list) =>
          list.map((x) => x.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue),
        );
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attrs = (list: OtlpAttribute[]) =>
  Object.fromEntries(
    list.map((a) => [
      a.key,
      a.value.stringValue ?? (a.value.intValue !== undefined ? String(a.value.intValue) : a.value.boolValue),
    ]),
  );

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

async function loginThrough(port: number, user: string): Promise<string | undefined> {
  const client = new pg.Client({ host: "127.0.0.1", port, database: "appdb", user, ssl: false });
  try {
    await client.connect();
    const { rows } = await client.query<{ current_user: string }>("select current_user");
    return rows[0]?.current_user;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("the proxy's OpenTelemetry export (OTLP/HTTP)", () => {
  it("with OTEL_EXPORTER_OTLP_ENDPOINT: the /metrics counts and a span per client login, with its phases; no token", async () => {
    const receiver = await startReceiver();
    try {
      const mi = emu.principals.managedIdentity;
      const proxy = await startProxyProcess(
        emu,
        [],
        managedIdentityEnv(emu, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "proxy-under-test" }),
      );
      expect(await loginThrough(proxy.port, mi.roleName)).toBe(mi.roleName);
      const refused = await loginThrough(proxy.port, "no_such_role");
      expect(refused).toMatch(/^28/);
      for (const reason of ["client_closed", "refused"]) {
        await proxy.waitForLog((l) => l.event === "connection_closed" && l.reason === reason);
      }
      expect(await proxy.stop()).toBe(0);

      const spans = receiver.spans();
      const logins = spans.filter((s) => s.name === "azure_postgresql_auth.proxy.client_login");
      expect(logins.map((s) => attrs(s.attributes)["azure.postgresql_auth.outcome"]).sort()).toEqual([
        "ok",
        "server_refused",
      ]);
      const ok = logins.find((s) => attrs(s.attributes)["azure.postgresql_auth.outcome"] === "ok")!;
      expect(attrs(ok.attributes)).toMatchObject({
        "server.address": emu.host,
        "server.port": String(emu.port),
        "azure.postgresql_auth.server": `${emu.host}:${emu.port}`,
        "azure.postgresql_auth.role": mi.roleName,
        "db.system.name": "postgresql",
      });
      const phases = spans.filter((s) => s.parentSpanId === ok.spanId && s.traceId === ok.traceId).map((s) => s.name);
      expect(phases.sort()).toEqual(["connect", "login", "tls", "token"]);
      const bad = logins.find((s) => s !== ok)!;
      expect(attrs(bad.attributes)).toMatchObject({ "db.response.status_code": refused, "error.type": refused });
      expect(bad.status?.code).toBe(2); // ERROR

      const metrics = receiver.metrics();
      const total = (name: string) =>
        metrics
          .filter((m) => m.name === name)
          .flatMap((m) => m.sum?.dataPoints ?? [])
          .reduce((sum, p) => Math.max(sum, Number(p.asInt ?? p.asDouble ?? 0)), 0);
      expect(total("azure.postgresql_auth.proxy.connections")).toBe(2);
      expect(total("azure.postgresql_auth.proxy.login.failures")).toBe(1);
      expect(total("azure.postgresql_auth.proxy.token.requests")).toBeGreaterThanOrEqual(1);
      expect(total("azure.postgresql_auth.proxy.bytes_relayed")).toBeGreaterThan(0);
      // The core's token metrics reach the same export (the SDK is registered globally).
      expect(metrics.map((m) => m.name)).toContain("azure.postgresql_auth.token.requests");
      expect(new Set(receiver.serviceNames())).toEqual(new Set(["proxy-under-test"]));
      expect(containsJwt(receiver.received.map((r) => r.body).join("\n"))).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it("--otlp URL turns it on without the variables", async () => {
    const receiver = await startReceiver();
    try {
      const mi = emu.principals.managedIdentity;
      const proxy = await startProxyProcess(emu, ["--otlp", receiver.url]);
      expect(await loginThrough(proxy.port, mi.roleName)).toBe(mi.roleName);
      expect(await proxy.stop()).toBe(0);
      expect(receiver.spans().map((s) => s.name)).toContain("azure_postgresql_auth.proxy.client_login");
      expect(receiver.metrics().map((m) => m.name)).toContain("azure.postgresql_auth.proxy.connections");
    } finally {
      await receiver.close();
    }
  });
});
