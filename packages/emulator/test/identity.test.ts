import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AzureCliCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES,
  type Emulator,
  EmulatorCredentialError,
  startEmulator,
} from "../src/index.js";
import { currentUser, refusal, SCOPE } from "./helpers.js";

const execFileAsync = promisify(execFile);
const fixture = fileURLToPath(new URL("./fixtures/default-credential.mjs", import.meta.url));
const miFixture = fileURLToPath(new URL("./fixtures/managed-identity-token.mjs", import.meta.url));
const RESOURCE = "https://ossrdbms-aad.database.windows.net";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete env[name];
  return Object.assign(env, emu.env, extra);
}

function miRequest(query: string, header = emu.env.IDENTITY_HEADER!): Promise<Response> {
  return fetch(`${emu.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&${query}`, {
    headers: { "X-IDENTITY-HEADER": header },
  });
}

describe("managed identity endpoint", () => {
  it("serves an unmodified DefaultAzureCredential, which then logs in", async () => {
    emu.resetStats();
    const { stdout } = await execFileAsync(process.execPath, [fixture], { env: childEnv(), timeout: 150_000 });
    const result = JSON.parse(stdout);
    expect(result.user).toBe("orders-api-identity");
    expect(result.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const stats = emu.stats();
    expect(stats.tokenRequests.managedIdentityEndpoint).toBe(1);
    expect(stats.tokenRequests.byPrincipal).toEqual({ "orders-api-identity": 1 });
    expect(stats.logins.ok).toBe(1);
  });

  it("honours AZURE_CLIENT_ID (client_id) to pick another managed identity", async () => {
    const billing = await emu.addPrincipal({ kind: "managedIdentity", name: "billing-api", assignment: "system" });
    expect(billing.kind === "managedIdentity" && billing.resourceId).toMatch(
      /\/providers\/Microsoft\.Web\/sites\/billing-api$/,
    );
    const clientId = billing.kind === "managedIdentity" ? billing.clientId : "";
    const { stdout } = await execFileAsync(process.execPath, [fixture], {
      env: childEnv({ AZURE_CLIENT_ID: clientId, PGUSER: billing.roleName }),
      timeout: 150_000,
    });
    expect(JSON.parse(stdout).user).toBe("billing-api");
  });

  it("answers with the App Service response format and the requested resource", async () => {
    const response = await miRequest(`resource=${encodeURIComponent(RESOURCE)}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({
      resource: RESOURCE,
      token_type: "Bearer",
      client_id: emu.principals.managedIdentity.clientId,
    });
    expect(body.expires_on).toMatch(/^\d+$/);
    expect(await currentUser(emu, "orders-api-identity", body.access_token!)).toBe("orders-api-identity");
    const other = (await (await miRequest("resource=https://management.azure.com")).json()) as Record<string, string>;
    const error = await refusal(emu, "orders-api-identity", other.access_token!);
    expect(error.message).toContain("does not have a valid audience claim");
  });

  it("rejects a wrong secret and an unknown client_id", async () => {
    expect((await miRequest(`resource=${RESOURCE}`, "wrong")).status).toBe(401);
    const unknown = await miRequest(`resource=${RESOURCE}&client_id=00000000-0000-0000-0000-000000000000`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toHaveProperty("error");
  });

  it("throttles beyond 5 concurrent requests with HTTP 429", async () => {
    emu.resetStats();
    emu.configurePrincipal("orders-api-identity", { latencyMs: 400 });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => miRequest(`resource=${RESOURCE}`).then((r) => r.status)),
    );
    emu.configurePrincipal("orders-api-identity", { latencyMs: 0 });
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(emu.stats().throttled).toBe(3);
    expect(emu.stats().tokenRequests.managedIdentityEndpoint).toBe(8);
  });

  it("throttles beyond 20 requests per second with HTTP 429", async () => {
    // A fresh identity: its one-second window is empty (no waiting for the previous tests' window).
    const fresh = await emu.addPrincipal(
      { kind: "managedIdentity", name: "throttle-per-second" },
      { createRole: false },
    );
    const clientId = fresh.kind === "managedIdentity" ? fresh.clientId : "";
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await miRequest(`resource=${RESOURCE}&client_id=${clientId}`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
  });

  it("injects failures: the next N requests fail with HTTP 500", async () => {
    const fresh = await emu.addPrincipal({ kind: "managedIdentity", name: "fails-twice" }, { createRole: false });
    const query = `resource=${RESOURCE}&client_id=${fresh.kind === "managedIdentity" ? fresh.clientId : ""}`;
    emu.configurePrincipal("fails-twice", { failNext: 2 });
    expect((await miRequest(query)).status).toBe(500);
    expect((await miRequest(query)).status).toBe(500);
    expect((await miRequest(query)).status).toBe(200);
  });
});

describe("outage", () => {
  it("outage: every request fails (HTTP 500, or failStatus) until it ends; a real ManagedIdentityCredential fails after its own 4 requests", async () => {
    const fresh = await emu.addPrincipal({ kind: "managedIdentity", name: "outage-api" }, { createRole: false });
    const clientId = fresh.kind === "managedIdentity" ? fresh.clientId : "";
    const query = `resource=${RESOURCE}&client_id=${clientId}`;
    emu.configurePrincipal("outage-api", { outage: true });
    const before = emu.stats();
    for (let i = 0; i < 3; i++) expect((await miRequest(query)).status).toBe(500);
    await expect(emu.credential("outage-api").getToken(SCOPE)).rejects.toMatchObject({ statusCode: 500 });
    emu.configurePrincipal("outage-api", { failStatus: 503 });
    expect((await miRequest(query)).status).toBe(503);
    const { stdout } = await execFileAsync(process.execPath, [miFixture, SCOPE], {
      env: childEnv({ AZURE_CLIENT_ID: clientId }),
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toMatchObject({ ok: false });
    const during = emu.stats().tokenRequests.byPrincipalAndWay["outage-api"]!.managedIdentityEndpoint;
    expect(during - (before.tokenRequests.byPrincipalAndWay["outage-api"]?.managedIdentityEndpoint ?? 0)).toBe(4 + 4);
    expect(emu.stats().failed - before.failed).toBe(4 + 1 + 4);
    emu.configurePrincipal("outage-api", { outage: false, failStatus: undefined });
    expect((await miRequest(query)).status).toBe(200);
  });
});

describe("in-process credential", () => {
  it("honours latency, failures and lifetime", async () => {
    emu.resetStats();
    const credential = emu.credential("alice@contoso.com");
    emu.configurePrincipal("alice@contoso.com", { latencyMs: 200, failNext: 1, tokenLifetimeSeconds: 5 });
    await expect(credential.getToken(SCOPE)).rejects.toBeInstanceOf(EmulatorCredentialError);
    const started = Date.now();
    const token = await credential.getToken(SCOPE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(token.tokenType).toBe("Bearer");
    expect(token.expiresOnTimestamp - Date.now()).toBeLessThanOrEqual(5000);
    emu.configurePrincipal("alice@contoso.com", { latencyMs: 0, tokenLifetimeSeconds: 3600 });
    expect(emu.stats().tokenRequests.credential).toBe(2);
    expect(emu.stats().failed).toBe(1);
  });

  it("honours the abort signal while waiting", async () => {
    emu.configurePrincipal("reporting-app", { latencyMs: 5000 });
    const controller = new AbortController();
    const pending = emu.credential("reporting-app").getToken(SCOPE, { abortSignal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    emu.configurePrincipal("reporting-app", { latencyMs: 0 });
  });

  it("maps the scope to the audience", async () => {
    const { token } = await emu
      .credential("alice@contoso.com")
      .getToken("https://ossrdbms-aad.database.usgovcloudapi.net/.default");
    expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).aud).toBe(
      "https://ossrdbms-aad.database.usgovcloudapi.net",
    );
  });
});

describe("stand-in az for AzureCliCredential", () => {
  it("serves AzureCliCredential, counts each spawn and waits its delay", async () => {
    const az = await emu.createAzStandIn({ delayMs: 300 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${az.binDir}:${savedPath}`;
    emu.resetStats();
    try {
      const credential = new AzureCliCredential();
      const started = Date.now();
      const token = await credential.getToken(SCOPE);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
      expect(emu.stats().tokenRequests.az).toBe(1);
      expect(emu.stats().tokenRequests.byPrincipal).toEqual({ "alice@contoso.com": 1 });
      expect(await currentUser(emu, "alice@contoso.com", token.token)).toBe("alice@contoso.com");
      await credential.getToken(SCOPE);
      expect(emu.stats().tokenRequests.az).toBe(2);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it("can serve another principal", async () => {
    const az = await emu.createAzStandIn({ principal: "reporting-app" });
    const { stdout } = await execFileAsync(az.path, [
      "account",
      "get-access-token",
      "--output",
      "json",
      "--resource",
      RESOURCE,
    ]);
    const body = JSON.parse(stdout);
    expect(body.tokenType).toBe("Bearer");
    expect(typeof body.expires_on).toBe("number");
    expect(await currentUser(emu, "reporting-app", body.accessToken)).toBe("reporting-app");
  });
});

describe("principals", () => {
  it("adds users, service principals and groups with their roles", async () => {
    await emu.addPrincipal({ kind: "user", name: "bob@contoso.com" });
    await emu.addPrincipal({ kind: "servicePrincipal", name: "etl-job" });
    await emu.addPrincipal({ kind: "group", name: "db-writers", members: ["bob@contoso.com", "etl-job"] });
    expect(await currentUser(emu, "bob@contoso.com", emu.issueToken("bob@contoso.com"))).toBe("bob@contoso.com");
    expect(await currentUser(emu, "db-writers", emu.issueToken("etl-job"))).toBe("db-writers");
    expect((await refusal(emu, "db-writers", emu.issueToken("alice@contoso.com"))).message).toContain("not a member");
    await expect(emu.addPrincipal({ kind: "user", name: "bob@contoso.com" })).rejects.toThrow(/already exists/);
  });
});
