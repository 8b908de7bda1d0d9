import { Counter, Gauge, Registry } from "prom-client";

/**
 * The proxy's Prometheus metrics, on a registry of its own (never the global one). Labels are
 * the Azure server (`server="host:port"`, the one the client's listener serves), SQLSTATEs, our
 * error codes and fixed words: never a token or a user name.
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
  /** Client connections open now, by server. */
  connectionsOpen: Gauge<"server">;
  /** Client connections accepted, by server. */
  connectionsTotal: Counter<"server">;
  /** Credential calls (one token cache per scope, shared by the servers of one cloud). */
  tokenRequests: Counter;
  /** Failed logins by server and code (SQLSTATE or our error code). */
  loginFailures: Counter<"code" | "server">;
  /** Cancel requests by server and outcome. */
  cancelRequests: Counter<"outcome" | "server">;
  /** Adds bytes of connections that closed (to `server`'s series); open connections are read when scraped. */
  addClosedBytes(fromClient: number, toClient: number, server?: string): void;
  /** Reads the byte counts of open connections, per server, at scrape time (no work on the relay path). */
  setOpenBytesReader(reader: () => Iterable<ServerBytes>): void;
}

/**
 * Bytes relayed for one server, as {@link ProxyMetrics.setOpenBytesReader}'s reader returns them.
 *
 * @example
 * ```ts
 * import type { ServerBytes } from "@azure/postgresql-auth-cli";
 * const bytes: ServerBytes = { server: "myserver.postgres.database.azure.com:5432", fromClient: 10, toClient: 200 };
 * ```
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
    registry,
    connectionsOpen,
    connectionsTotal,
    tokenRequests,
    loginFailures,
    cancelRequests,
    addClosedBytes(fromClient, toClient, server = "") {
      const total = closed.get(server) ?? { fromClient: 0, toClient: 0 };
      total.fromClient += fromClient;
      total.toClient += toClient;
      closed.set(server, total);
    },
    setOpenBytesReader(reader) {
      readOpen = reader;
    },
  };
}
