import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/**
 * What the proxy counts, and its Prometheus text for `/metrics`. The proxy calls the counting
 * methods; {@link createProxyMetrics} makes the implementation the command line serves (on a registry
 * of its own, never prom-client's global one), and an application that embeds the proxy may pass
 * its own implementation to count into another metrics system. Labels are the Azure server
 * (`server="host:port"`, the one the client's listener serves), SQLSTATEs, our error codes and fixed
 * words: never a token or a user name.
 *
 * @example
 * An embedding application serving the proxy's metrics from its own HTTP server:
 * ```ts
 * import http from "node:http";
 * import { createProxyMetrics } from "@azure/postgresql-auth-cli";
 * const metrics = createProxyMetrics(); // pass it to startAuthProxy({ ..., metrics })
 * http.createServer(async (_req, res) => {
 *   const { contentType, text } = await metrics.scrape();
 *   res.writeHead(200, { "content-type": contentType }).end(text);
 * });
 * ```
 */
export interface ProxyMetrics {
  /** A client connection for `server` was accepted. */
  connectionOpened(server: string): void;
  /** A client connection for `server` closed, after relaying `bytes` (read from and written to the client). */
  connectionClosed(server: string, bytes: { fromClient: number; toClient: number }): void;
  /** The proxy called its credential for a token (a cache miss or a background refresh). */
  tokenRequested(): void;
  /** A login for `server` failed with `code`: the SQLSTATE of the server's refusal, or our error code. */
  loginFailed(server: string, code: string): void;
  /** The server refused a login for `server` as expired (this clock behind the server's) and the proxy retried it once with a fresh token. */
  expiredTokenRetried(server: string): void;
  /** A client's cancel request for `server` was forwarded, named no open session, or could not be sent. */
  cancelRequested(server: string, outcome: "forwarded" | "unknown_key" | "failed"): void;
  /** Sets how to read the bytes of open connections, per server, when scraped (no work on the relay path). */
  setOpenBytesReader(reader: () => Iterable<ServerBytes>): void;
  /** The metrics in Prometheus' text exposition format, with the content type to serve them with. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

/**
 * Bytes relayed for one server, as {@link ProxyMetrics.setOpenBytesReader}'s reader returns them.
 */
export interface ServerBytes {
  /** `host:port` of the Azure server. */
  server: string;
  /** Bytes read from clients. */
  fromClient: number;
  /** Bytes written to clients. */
  toClient: number;
}

/**
 * Creates the proxy's Prometheus metrics: `azure_pg_proxy_connections_open{server}`,
 * `_connections_total{server}`, `_token_requests_total`, `_login_failures_total{code,server}`,
 * `_cancel_requests_total{outcome,server}` and `_bytes_relayed_total{direction,server}`; with
 * `processMetrics`, also Node's process metrics (CPU, memory, event loop lag, garbage collection),
 * as the command line's proxy serves them.
 */
export function createProxyMetrics(options: { processMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const closed = new Map<string, { fromClient: number; toClient: number }>();
  let readOpen: () => Iterable<ServerBytes> = () => [];
  const connectionsOpen = new Gauge({
    name: "azure_pg_proxy_connections_open",
    help: "Client connections open now, by server.",
    labelNames: ["server"] as const,
    registers: [registry],
  });
  const connectionsTotal = new Counter({
    name: "azure_pg_proxy_connections_total",
    help: "Client connections accepted, by server.",
    labelNames: ["server"] as const,
    registers: [registry],
  });
  const tokenRequests = new Counter({
    name: "azure_pg_proxy_token_requests_total",
    help: "Calls to the credential for an access token (cache misses and background refreshes).",
    registers: [registry],
  });
  const loginFailures = new Counter({
    name: "azure_pg_proxy_login_failures_total",
    help: "Logins that failed, by server and by SQLSTATE of the server's refusal or the proxy's error code.",
    labelNames: ["code", "server"] as const,
    registers: [registry],
  });
  const expiredTokenRetries = new Counter({
    name: "azure_pg_proxy_expired_token_retries_total",
    help: "Logins the server refused as expired (this clock behind the server's) that the proxy retried once with a fresh token, by server.",
    labelNames: ["server"] as const,
    registers: [registry],
  });
  const cancelRequests = new Counter({
    name: "azure_pg_proxy_cancel_requests_total",
    help: "Cancel requests from clients, by server and outcome (forwarded, unknown_key, failed).",
    labelNames: ["outcome", "server"] as const,
    registers: [registry],
  });
  new Counter({
    name: "azure_pg_proxy_bytes_relayed_total",
    help: "Bytes relayed between clients and the server, by server and direction.",
    labelNames: ["direction", "server"] as const,
    registers: [registry],
    collect() {
      const totals = new Map<string, { fromClient: number; toClient: number }>();
      for (const [server, bytes] of closed) totals.set(server, { ...bytes });
      for (const open of readOpen()) {
        const total = totals.get(open.server) ?? { fromClient: 0, toClient: 0 };
        total.fromClient += open.fromClient;
        total.toClient += open.toClient;
        totals.set(open.server, total);
      }
      this.reset();
      for (const [server, total] of totals) {
        this.inc({ direction: "client_to_server", server }, total.fromClient);
        this.inc({ direction: "server_to_client", server }, total.toClient);
      }
    },
  });
  return {
    connectionOpened(server) {
      connectionsTotal.inc({ server });
      connectionsOpen.inc({ server });
    },
    connectionClosed(server, bytes) {
      connectionsOpen.dec({ server });
      const total = closed.get(server) ?? { fromClient: 0, toClient: 0 };
      total.fromClient += bytes.fromClient;
      total.toClient += bytes.toClient;
      closed.set(server, total);
    },
    tokenRequested() {
      tokenRequests.inc();
    },
    loginFailed(server, code) {
      loginFailures.inc({ code, server });
    },
    expiredTokenRetried(server) {
      expiredTokenRetries.inc({ server });
    },
    cancelRequested(server, outcome) {
      cancelRequests.inc({ outcome, server });
    },
    setOpenBytesReader(reader) {
      readOpen = reader;
    },
    async scrape() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
