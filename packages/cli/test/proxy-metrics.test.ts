// The proxy's metrics through our own interface: what the proxy reports comes out as Prometheus text.
import { describe, expect, it } from "vitest";
import { createProxyMetrics } from "../src/index.js";

const lines = async (metrics: ReturnType<typeof createProxyMetrics>) => (await metrics.scrape()).text.split("\n");

describe("createProxyMetrics", () => {
  it("counts connections, logins, cancels and token requests per server", async () => {
    const metrics = createProxyMetrics();
    metrics.connectionOpened("a:5432");
    metrics.connectionOpened("a:5432");
    metrics.connectionOpened("b:5432");
    metrics.connectionClosed("a:5432", { fromClient: 10, toClient: 200 });
    metrics.loginFailed("b:5432", "28000");
    metrics.cancelRequested("a:5432", "forwarded");
    metrics.tokenRequested();
    const text = await lines(metrics);
    expect(text).toContain('azure_pg_proxy_connections_total{server="a:5432"} 2');
    expect(text).toContain('azure_pg_proxy_connections_open{server="a:5432"} 1');
    expect(text).toContain('azure_pg_proxy_connections_open{server="b:5432"} 1');
    expect(text).toContain('azure_pg_proxy_login_failures_total{code="28000",server="b:5432"} 1');
    expect(text).toContain('azure_pg_proxy_cancel_requests_total{outcome="forwarded",server="a:5432"} 1');
    expect(text).toContain("azure_pg_proxy_token_requests_total 1");
  });

  it("adds the bytes of open connections, read when scraped, to those of closed ones", async () => {
    const metrics = createProxyMetrics();
    metrics.connectionClosed("a:5432", { fromClient: 10, toClient: 200 });
    let open = { fromClient: 1, toClient: 2 };
    metrics.setOpenBytesReader(() => [{ server: "a:5432", ...open }]);
    expect(await lines(metrics)).toContain(
      'azure_pg_proxy_bytes_relayed_total{direction="server_to_client",server="a:5432"} 202',
    );
    open = { fromClient: 5, toClient: 300 };
    const text = await lines(metrics);
    expect(text).toContain('azure_pg_proxy_bytes_relayed_total{direction="client_to_server",server="a:5432"} 15');
    expect(text).toContain('azure_pg_proxy_bytes_relayed_total{direction="server_to_client",server="a:5432"} 500');
  });

  it("keeps each instance's counts apart, and adds Node's process metrics only when asked", async () => {
    const plain = createProxyMetrics();
    const withProcess = createProxyMetrics({ processMetrics: true });
    plain.tokenRequested();
    expect(await lines(withProcess)).toContain("azure_pg_proxy_token_requests_total 0");
    expect((await plain.scrape()).text).not.toMatch(/^process_cpu_seconds_total/m);
    const scraped = await withProcess.scrape();
    expect(scraped.text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
