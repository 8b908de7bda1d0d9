// What a pg pool's logins emit through OpenTelemetry, end to end: a real ManagedIdentityCredential
// against the emulator's identity endpoint, a real OpenTelemetry SDK kept in memory (test-support
// /telemetry), real PostgreSQL behind the emulator's TLS front. The names and attributes are the
// ones the core package's README documents.
import { ManagedIdentityCredential } from "@azure/identity";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import { useEmulatorEnvironment } from "@azure-postgresql-auth/test-support";
import { type InMemoryTelemetry, startInMemoryTelemetry } from "@azure-postgresql-auth/test-support/telemetry";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entraTokenProvider } from "../../src/index.js";

const scope = "https://ossrdbms-aad.database.windows.net/.default";

let emu: Emulator;
let restoreEnvironment: () => void;
let telemetry: InMemoryTelemetry;
beforeAll(async () => {
  emu = await startEmulator();
  restoreEnvironment = useEmulatorEnvironment(emu); // IDENTITY_ENDPOINT / IDENTITY_HEADER for ManagedIdentityCredential
  telemetry = startInMemoryTelemetry();
});
afterAll(async () => {
  await telemetry?.stop();
  restoreEnvironment?.();
  await emu?.stop();
});

describe("pg pool logins through an OpenTelemetry SDK", () => {
  it("one credential call: its span (with @azure/identity's nested) and the documented metrics; hits counted; no token", async () => {
    const principal = emu.principals.managedIdentity;
    const credential = new ManagedIdentityCredential({ clientId: principal.clientId });
    const pool = new pg.Pool({
      host: emu.host,
      port: emu.port,
      database: emu.database,
      user: principal.roleName,
      password: entraTokenProvider(credential),
      ssl: { ca: emu.ca, rejectUnauthorized: true },
      max: 4,
    });
    try {
      const first = await pool.connect(); // the cold start: the one credential call
      const more = await Promise.all([pool.connect(), pool.connect(), pool.connect()]); // three cache hits
      for (const client of [first, ...more]) {
        const { rows } = await client.query<{ current_user: string }>("select current_user");
        expect(rows[0]?.current_user).toBe(principal.roleName);
        client.release();
      }
    } finally {
      await pool.end();
    }

    const spans = telemetry.spans();
    const ours = spans.filter((s) => s.name === "EntraTokenCache.getToken");
    expect(ours).toHaveLength(1);
    expect(ours[0]?.attributes).toMatchObject({
      "az.namespace": "Microsoft.DBforPostgreSQL",
      "azure.postgresql_auth.scope": scope,
      "azure.postgresql_auth.cloud": "AzurePublicCloud",
      "azure.postgresql_auth.reason": "cold",
      "azure.postgresql_auth.outcome": "success",
    });
    const ourId = ours[0]!.spanContext().spanId;
    const nested = spans.filter((s) => s.parentSpanContext?.spanId === ourId).map((s) => s.name);
    expect(nested).toContain("ManagedIdentityCredential.getToken");

    const collected = await telemetry.collect();
    const metric = (name: string) => collected.find((m) => m.name === `azure.postgresql_auth.token.${name}`);
    expect(metric("requests")?.points).toEqual([{ attributes: { outcome: "success", reason: "cold" }, value: 1 }]);
    expect(metric("cache_hits")?.points).toEqual([{ attributes: {}, value: 3 }]);
    expect(metric("duration")).toMatchObject({ unit: "s", points: [{ value: { count: 1 } }] });
    const expiry = metric("time_to_expiry")?.points.find((p) => p.attributes.scope === scope);
    expect(expiry?.value).toBeGreaterThan(0);

    const everything = JSON.stringify({
      spans: spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
      collected,
    });
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./);
  });
});
