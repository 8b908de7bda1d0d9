// The health server's /startup gate and POST /quitquitquit, against a stand-in proxy.
import { afterEach, describe, expect, it } from "vitest";
import type { AuthProxy } from "../src/index.js";
import { createProxyMetrics, type HealthServer, startHealthServer } from "../src/index.js";

const proxy: AuthProxy = {
  servers: [],
  metrics: createProxyMetrics(),
  openConnections: 0,
  draining: false,
  checkToken: async () => undefined,
  roleFor: async () => "r",
  close: async () => ({ forced: 0 }),
};

let health: HealthServer | undefined;
afterEach(async () => {
  await health?.close();
  health = undefined;
});
const url = (path: string) => `http://127.0.0.1:${health!.port}${path}`;

describe("/startup", () => {
  it("503 until the proxy is started, then 200; /readiness waits for it too", async () => {
    let started = false;
    health = await startHealthServer(proxy, { port: 0, isStarted: () => started });
    expect((await fetch(url("/startup"))).status).toBe(503);
    expect((await fetch(url("/readiness"))).status).toBe(503);
    started = true;
    expect((await fetch(url("/startup"))).status).toBe(200);
    expect((await fetch(url("/readiness"))).status).toBe(200);
  });
});

describe("/quitquitquit", () => {
  it("POST from loopback calls onQuitQuitQuit; GET is refused with 405 and calls nothing", async () => {
    let calls = 0;
    health = await startHealthServer(proxy, { port: 0, onQuitQuitQuit: () => calls++ });
    const get = await fetch(url("/quitquitquit"));
    expect([get.status, get.headers.get("allow"), calls]).toEqual([405, "POST", 0]);
    const post = await fetch(url("/quitquitquit"), { method: "POST" });
    expect([post.status, await post.text(), calls]).toEqual([200, "shutting down\n", 1]);
  });

  it("not served without onQuitQuitQuit (404)", async () => {
    health = await startHealthServer(proxy, { port: 0 });
    expect((await fetch(url("/quitquitquit"), { method: "POST" })).status).toBe(404);
  });
});
