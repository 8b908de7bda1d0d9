import { Counter, Gauge, Registry } from "prom-client";

/**
 * The proxy's Prometheus metrics, on a registry of its own (never the global one). Labels are
 * SQLSTATEs, our error codes and fixed words: never a token, a user name or a host.
 *
 * @example
 * ```ts
 * import { createProxyMetrics } from "@azure/postgresql-auth-cli";
 * const metrics = createProxyMetrics();
 * console.log(await metrics.registry.metrics());
 * ```
 */
export interface ProxyMetrics {
  registry: Registry;
  connectionsOpen: Gauge;
  connectionsTotal: Counter;
  tokenRequests: Counter;
  loginFailures: Counter<"code">;
  /** Logins the server refused as expired (clock skew) that the proxy retried once with a fresh token. */
  expiredTokenRetries: Counter;
  cancelRequests: Counter<"outcome">;
  /** Adds bytes of connections that closed; open connections are read when scraped. */
  addClosedBytes(fromClient: number, toClient: number): void;
  /** Reads the byte counts of open connections at scrape time (no work on the relay path). */
  setOpenBytesReader(reader: () => { fromClient: number; toClient: number }): void;
}

/**
 * Creates the proxy's metrics.
 *
 * @example
 * ```ts
 * import { createProxyMetrics } from "@azure/postgresql-auth-cli";
 * const metrics = createProxyMetrics();
 * ```
 */
export function createProxyMetrics(): ProxyMetrics {
  const registry = new Registry();
  let closedFromClient = 0;
  let closedToClient = 0;
  let readOpen = () => ({ fromClient: 0, toClient: 0 });
  const connectionsOpen = new Gauge({
    name: "azure_pg_proxy_connections_open",
    help: "Client connections open now.",
    registers: [registry],
  });
  const connectionsTotal = new Counter({
    name: "azure_pg_proxy_connections_total",
    help: "Client connections accepted.",
    registers: [registry],
  });
  const tokenRequests = new Counter({
    name: "azure_pg_proxy_token_requests_total",
    help: "Calls to the credential for an access token (cache misses and background refreshes).",
    registers: [registry],
  });
  const loginFailures = new Counter({
    name: "azure_pg_proxy_login_failures_total",
    help: "Logins that failed, by SQLSTATE of the server's refusal or by the proxy's error code.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const expiredTokenRetries = new Counter({
    name: "azure_pg_proxy_expired_token_retries_total",
    help: "Logins the server refused as expired (this clock behind the server's) that the proxy retried once with a fresh token.",
    registers: [registry],
  });
  const cancelRequests = new Counter({
    name: "azure_pg_proxy_cancel_requests_total",
    help: "Cancel requests from clients, by outcome (forwarded, unknown_key, failed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  new Counter({
    name: "azure_pg_proxy_bytes_relayed_total",
    help: "Bytes relayed between clients and the server, by direction.",
    labelNames: ["direction"] as const,
    registers: [registry],
    collect() {
      const open = readOpen();
      this.reset();
      this.inc({ direction: "client_to_server" }, closedFromClient + open.fromClient);
      this.inc({ direction: "server_to_client" }, closedToClient + open.toClient);
    },
  });
  return {
    registry,
    connectionsOpen,
    connectionsTotal,
    tokenRequests,
    loginFailures,
    expiredTokenRetries,
    cancelRequests,
    addClosedBytes(fromClient, toClient) {
      closedFromClient += fromClient;
      closedToClient += toClient;
    },
    setOpenBytesReader(reader) {
      readOpen = reader;
    },
  };
}
