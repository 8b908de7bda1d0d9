import type { Meter } from "@opentelemetry/api";
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
 * Options of {@link createProxyMetrics}.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import type { ProxyMetricsOptions } from "@azure/postgresql-auth-cli";
 * const options: ProxyMetricsOptions = { processMetrics: true, meter: metrics.getMeter("my-app") };
 * ```
 */
export interface ProxyMetricsOptions {
  /** Also Node's process metrics (CPU, memory, event loop lag, garbage collection) on `/metrics`. */
  processMetrics?: boolean;
  /**
   * Also count into this OpenTelemetry meter, with the same values and labels as attributes:
   * `azure.postgresql_auth.proxy.connections.open` (up-down counter), `.connections`,
   * `.token.requests`, `.login.failures`, `.expired_token_retries`, `.cancel_requests` (counters)
   * and `.bytes_relayed` (observable counter, bytes). Node's process metrics stay Prometheus only.
   */
  meter?: Meter;
}

/**
 * Creates the proxy's Prometheus metrics: `azure_pg_proxy_connections_open{server}`,
 * `_connections_total{server}`, `_token_requests_total`, `_login_failures_total{code,server}`,
 * `_cancel_requests_total{outcome,server}` and `_bytes_relayed_total{direction,server}`; with
 * `processMetrics`, also Node's process metrics (CPU, memory, event loop lag, garbage collection),
 * as the command line's proxy serves them; with `meter`, the same counts in OpenTelemetry too
 * (see {@link ProxyMetricsOptions.meter}).
 */
export function createProxyMetrics(options: ProxyMetricsOptions = {}): ProxyMetrics {
  const registry = new Registry();
  const otel = options.meter === undefined ? undefined : otelInstruments(options.meter, () => bytesByServer());
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const closed = new Map<string, { fromClient: number; toClient: number }>();
  let readOpen: () => Iterable<ServerBytes> = () => [];
  /** Bytes relayed per server: closed connections' totals plus the open ones' counts now. */
  const bytesByServer = () => {
    const totals = new Map<string, { fromClient: number; toClient: number }>();
    for (const [server, bytes] of closed)
      totals.set(server, { fromClient: bytes.fromClient, toClient: bytes.toClient });
    for (const open of readOpen()) {
      const total = totals.get(open.server) ?? { fromClient: 0, toClient: 0 };
      total.fromClient += open.fromClient;
      total.toClient += open.toClient;
      totals.set(open.server, total);
    }
    return totals;
  };
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
      const totals = bytesByServer();
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
      otel?.connections.add(1, { server });
      otel?.connectionsOpen.add(1, { server });
    },
    connectionClosed(server, bytes) {
      connectionsOpen.dec({ server });
      otel?.connectionsOpen.add(-1, { server });
      const total = closed.get(server) ?? { fromClient: 0, toClient: 0 };
      total.fromClient += bytes.fromClient;
      total.toClient += bytes.toClient;
      closed.set(server, total);
    },
    tokenRequested() {
      tokenRequests.inc();
      otel?.tokenRequests.add(1);
    },
    loginFailed(server, code) {
      loginFailures.inc({ code, server });
      otel?.loginFailures.add(1, { code, server });
    },
    expiredTokenRetried(server) {
      expiredTokenRetries.inc({ server });
      otel?.expiredTokenRetries.add(1, { server });
    },
    cancelRequested(server, outcome) {
      cancelRequests.inc({ outcome, server });
      otel?.cancelRequests.add(1, { outcome, server });
    },
    setOpenBytesReader(reader) {
      readOpen = reader;
    },
    async scrape() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}

/** The OpenTelemetry counterparts of the Prometheus metrics (same values, labels as attributes). */
function otelInstruments(meter: Meter, bytesByServer: () => Map<string, { fromClient: number; toClient: number }>) {
  const prefix = "azure.postgresql_auth.proxy";
  meter
    .createObservableCounter(`${prefix}.bytes_relayed`, {
      description: "Bytes relayed between clients and the server, by server and direction.",
      unit: "By",
    })
    .addCallback((result) => {
      for (const [server, total] of bytesByServer()) {
        result.observe(total.fromClient, { direction: "client_to_server", server });
        result.observe(total.toClient, { direction: "server_to_client", server });
      }
    });
  return {
    connectionsOpen: meter.createUpDownCounter(`${prefix}.connections.open`, {
      description: "Client connections open now, by server.",
      unit: "{connection}",
    }),
    connections: meter.createCounter(`${prefix}.connections`, {
      description: "Client connections accepted, by server.",
      unit: "{connection}",
    }),
    tokenRequests: meter.createCounter(`${prefix}.token.requests`, {
      description: "Calls to the credential for an access token (cache misses and background refreshes).",
      unit: "{request}",
    }),
    loginFailures: meter.createCounter(`${prefix}.login.failures`, {
      description: "Logins that failed, by server and by SQLSTATE of the server's refusal or the proxy's error code.",
      unit: "{login}",
    }),
    expiredTokenRetries: meter.createCounter(`${prefix}.expired_token_retries`, {
      description: "Logins refused as expired that the proxy retried once with a fresh token, by server.",
      unit: "{login}",
    }),
    cancelRequests: meter.createCounter(`${prefix}.cancel_requests`, {
      description: "Cancel requests from clients, by server and outcome (forwarded, unknown_key, failed).",
      unit: "{request}",
    }),
  };
}
