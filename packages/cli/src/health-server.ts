import http from "node:http";
import type { AddressInfo } from "node:net";
import { EntraAuthError } from "@azure/postgresql-auth-core";
import { isLoopbackHost } from "@azure/postgresql-auth-core/internal";
import type { AuthProxy } from "./auth-proxy.js";

/**
 * A running health and metrics server. Made by {@link startHealthServer}.
 */
export interface HealthServer {
  /** The port actually bound. */
  port: number;
  /** Stops the server and closes its open connections. */
  close(): Promise<void>;
}

/**
 * Options of {@link startHealthServer}.
 *
 * @example
 * ```ts
 * import type { HealthServerOptions } from "@azure/postgresql-auth-cli";
 * const options: HealthServerOptions = { port: 9090, address: "0.0.0.0", onQuitQuitQuit: () => process.kill(process.pid, "SIGTERM") };
 * ```
 */
export interface HealthServerOptions {
  /** TCP port (0 picks one). */
  port: number;
  /** Address to bind. Default `127.0.0.1`; `0.0.0.0` for Kubernetes probes. */
  address?: string;
  /** `/readiness` answers 503 from this many open connections on. */
  maxConnections?: number;
  /** `/startup` answers 503 until this returns true (e.g. until a start-up connection test passed). Default: started. */
  isStarted?: () => boolean;
  /**
   * Serves `POST /quitquitquit` (from loopback clients only) and calls this once per request
   * that it accepts. Without it, `/quitquitquit` is not served (404).
   */
  onQuitQuitQuit?: () => void;
}

/**
 * Serves `/startup`, `/liveness`, `/readiness` and Prometheus `/metrics` for a proxy, and with
 * `onQuitQuitQuit` the `POST /quitquitquit` shutdown endpoint. `/readiness` answers 503 while
 * draining, at `maxConnections`, or when no token can be had.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { startAuthProxy, startHealthServer } from "@azure/postgresql-auth-cli";
 * const proxy = await startAuthProxy({ host: "myserver.postgres.database.azure.com", credential: new DefaultAzureCredential() });
 * const health = await startHealthServer(proxy, { port: 9090 });
 * ```
 */
export async function startHealthServer(proxy: AuthProxy, options: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/quitquitquit") {
      if (!options.onQuitQuitQuit) return send(404, "not served: start the proxy with --quitquitquit\n");
      // It stops the proxy: POST only (a GET from a crawler or a probe must not), and only from
      // this machine or pod, even when the probes are served on 0.0.0.0.
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        return send(405, "use POST /quitquitquit\n");
      }
      if (!isLoopbackHost(req.socket.remoteAddress ?? "")) return send(403, "only from loopback\n");
      send(200, "shutting down\n");
      options.onQuitQuitQuit();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    switch (path) {
      case "/startup":
        return options.isStarted === undefined || options.isStarted() ? send(200, "ok\n") : send(503, "starting\n");
      case "/liveness":
        return send(200, "ok\n");
      case "/readiness": {
        if (proxy.draining) return send(503, "draining\n");
        if (options.isStarted !== undefined && !options.isStarted()) return send(503, "starting\n");
        if (options.maxConnections !== undefined && proxy.openConnections >= options.maxConnections) {
          return send(503, "max connections reached\n");
        }
        proxy.checkToken().then(
          () => send(200, "ok\n"),
          (error: unknown) =>
            send(503, `no token: ${EntraAuthError.isInstance(error) ? error.code : "TOKEN_ACQUISITION_FAILED"}\n`),
        );
        return;
      }
      case "/metrics":
        proxy.metrics.scrape().then(
          ({ contentType, text }) => send(200, text, contentType),
          () => send(500, "metrics failed\n"),
        );
        return;
      default:
        return send(404, "not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.address ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
