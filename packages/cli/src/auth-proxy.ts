import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { TokenCredential } from "@azure/core-auth";
import {
  createEntraTokenSource,
  EntraAuthError,
  type GetEntraTokenPasswordOptions,
  redactTokens,
  resolveRoleName,
} from "@azure/postgresql-auth-core";
import { type ClientStartup, readClientStartup, rejectClient } from "./client-startup.js";
import { explainRefusal } from "./explain-refusal.js";
import type { ProxyLogger } from "./proxy-logger.js";
import { createProxyMetrics, type ProxyMetrics } from "./proxy-metrics.js";
import { retryExpiredLogin } from "./retry-expired-login.js";
import { connectUpstreamTls, loginUpstream, UpstreamConnectError, type UpstreamTarget } from "./upstream-login.js";
import { negotiateProtocolVersion } from "./wire-protocol.js";

/**
 * Options of {@link startAuthProxy}.
 *
 * @example
 * ```ts
 * import type { AuthProxyOptions } from "@azure/postgresql-auth-cli";
 * import { DefaultAzureCredential } from "@azure/identity";
 * const options: AuthProxyOptions = { host: "myserver.postgres.database.azure.com", credential: new DefaultAzureCredential(), listen: { port: 5432 } };
 * ```
 */
export interface AuthProxyOptions {
  /** The Azure server's host name; also selects the cloud (token scope). */
  host: string;
  /** The server's port. Default 5432. */
  port?: number;
  /** CA certificates (PEM) to verify the server with instead of Node's CAs. The certificate is always verified. */
  ca?: string | Buffer;
  /** Where the tokens come from, e.g. `new DefaultAzureCredential()`. */
  credential: TokenCredential;
  /**
   * Where to listen: a TCP `port` (0 picks one) on `address` (default `127.0.0.1`) and/or a Unix
   * socket path (created owner-only, mode 0600). Default: TCP port 5432 on 127.0.0.1.
   */
  listen?: { address?: string; port?: number; unixSocket?: string };
  /** Always log in as this role, whatever user name the client sends. */
  username?: string;
  /** Ignore the client's user name and pick the role from the token by the core rules. */
  roleFromToken?: boolean;
  /** Clients must send this password to the proxy (it is checked locally, never sent upstream). */
  localPassword?: string;
  /** Refuse clients beyond this many open connections (SQLSTATE 53300). Default: no limit. */
  maxConnections?: number;
  /** A client must finish its startup (and local password) within this time. Default 30000 ms. */
  startupTimeoutMs?: number;
  /** Connecting and logging in to the server must finish within this time. Default 30000 ms. */
  connectTimeoutMs?: number;
  /** Token options (scope, tenantId, cache, timeoutMs) as for the adapters. */
  tokenOptions?: Omit<GetEntraTokenPasswordOptions, "host">;
  logger?: ProxyLogger;
  metrics?: ProxyMetrics;
}

/**
 * A running proxy. Made by {@link startAuthProxy}.
 *
 * @example
 * ```ts
 * import type { AuthProxy } from "@azure/postgresql-auth-cli";
 * declare const proxy: AuthProxy;
 * const { forced } = await proxy.close({ drainMs: 30_000 });
 * ```
 */
export interface AuthProxy {
  /** The TCP address actually bound, if any. */
  readonly tcp?: { address: string; port: number };
  /** The Unix socket path, if any. */
  readonly unixSocket?: string;
  readonly metrics: ProxyMetrics;
  /** Client connections open now (in startup or relaying). */
  readonly openConnections: number;
  /** True from {@link AuthProxy.close} on. */
  readonly draining: boolean;
  /** Gets a token from the shared cache (cheap when cached); rejects with an {@link EntraAuthError}. */
  checkToken(): Promise<void>;
  /**
   * Stops accepting, waits up to `drainMs` (default 0) for open connections to finish, then
   * closes the rest. Resolves with how many had to be closed.
   */
  close(options?: { drainMs?: number }): Promise<{ forced: number }>;
}

interface Session {
  client: net.Socket;
  upstream?: TLSSocket;
  cancelKey?: string;
}

const quietLogger: ProxyLogger = { log() {} };

/**
 * Starts the local auth proxy: PostgreSQL clients connect without TLS on loopback and without a
 * token; the proxy logs each one in to the Azure server over verified TLS with a cached Entra
 * token, then relays the bytes both ways.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { startAuthProxy } from "@azure/postgresql-auth-cli";
 * const proxy = await startAuthProxy({
 *   host: "myserver.postgres.database.azure.com",
 *   credential: new DefaultAzureCredential(),
 *   listen: { port: 5432 },
 * });
 * // psql "host=127.0.0.1 port=5432 dbname=postgres user=alice@contoso.com sslmode=disable"
 * await proxy.close({ drainMs: 10_000 });
 * ```
 */
export async function startAuthProxy(options: AuthProxyOptions): Promise<AuthProxy> {
  const logger = options.logger ?? quietLogger;
  const metrics = options.metrics ?? createProxyMetrics();
  const target: UpstreamTarget = { host: options.host, port: options.port ?? 5432, ca: options.ca };
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  const userTokenEvent = options.tokenOptions?.onTokenEvent;
  const tokenSource = createEntraTokenSource(options.credential, {
    ...options.tokenOptions,
    host: options.host,
    onTokenEvent: (event) => {
      if (event.type === "credentialCall") metrics.tokenRequests.inc();
      if (event.type === "refreshFailed") {
        logger.log("warn", "token_refresh_failed", {
          error: redactTokens(event.error.message),
          retryInMs: event.retryInMs,
        });
      }
      userTokenEvent?.(event);
    },
  });
  const sessions = new Set<Session>();
  /** BackendKeyData of open upstream sessions (passed to clients unchanged) → the server that owns it. */
  const cancelTargets = new Map<string, UpstreamTarget>();
  let draining = false;
  let closedFromClient = 0;
  let closedToClient = 0;
  metrics.setOpenBytesReader(() => {
    let fromClient = closedFromClient;
    let toClient = closedToClient;
    for (const s of sessions) {
      fromClient += s.client.bytesRead;
      toClient += s.client.bytesWritten;
    }
    return { fromClient, toClient };
  });

  const getToken = async (): Promise<string> => (await tokenSource.getAccessToken({ host: options.host })).token;

  const handle = async (client: net.Socket): Promise<void> => {
    const session: Session = { client };
    sessions.add(session);
    metrics.connectionsTotal.inc();
    metrics.connectionsOpen.inc();
    client.setNoDelay(true);
    client.on("error", () => client.destroy());
    client.once("close", () => {
      sessions.delete(session);
      metrics.connectionsOpen.dec();
      closedFromClient += client.bytesRead;
      closedToClient += client.bytesWritten;
      if (session.cancelKey) cancelTargets.delete(session.cancelKey);
      session.upstream?.destroy();
    });
    if (options.maxConnections !== undefined && sessions.size > options.maxConnections) {
      metrics.loginFailures.inc({ code: "53300" });
      logger.log("warn", "max_connections", { maxConnections: options.maxConnections });
      rejectClient(client, {
        severity: "FATAL",
        code: "53300",
        message: `sorry, too many clients already (the proxy allows ${options.maxConnections})`,
      });
      return;
    }

    // Open TCP + TLS to the server while the client sends its startup packet: the handshake is the
    // slow part of a connect, and overlapping it keeps the proxy's connect close to a direct one.
    const early = connectUpstreamTls(target, connectTimeoutMs);
    early.catch(() => undefined);
    const dropEarly = () =>
      early.then(
        (s) => s.destroy(),
        () => undefined,
      );
    const startup: ClientStartup = await readClientStartup(client, {
      timeoutMs: startupTimeoutMs,
      localPassword: options.localPassword,
    });
    if (startup.kind !== "startup") dropEarly();
    if (startup.kind === "refused") {
      metrics.loginFailures.inc({ code: startup.code });
      logger.log("info", "client_refused", { sqlstate: startup.code, reason: startup.reason });
      return;
    }
    if (startup.kind === "cancel") {
      forwardCancel(startup.processId, startup.secretKey, startup.packet);
      return;
    }

    const clientUser = startup.parameters.get("user") ?? "";
    let token: string;
    let role: string;
    let roleSource: string;
    try {
      token = await getToken();
      if (options.username) {
        role = options.username;
        roleSource = "the proxy's --username";
      } else if (clientUser && !options.roleFromToken) {
        role = clientUser;
        roleSource = "the client's user name";
      } else {
        const resolved = resolveRoleName(token, {});
        role = resolved.roleName;
        roleSource = `the token (${resolved.source})`;
      }
    } catch (error) {
      const e = EntraAuthError.isInstance(error)
        ? error
        : new EntraAuthError("TOKEN_ACQUISITION_FAILED", "Could not get an access token.", { cause: error });
      const message = redactTokens(e.message);
      metrics.loginFailures.inc({ code: e.code });
      logger.log("error", "credential_failed", { code: e.code, error: message });
      rejectClient(client, {
        severity: "FATAL",
        code: "28000",
        message: `${e.code}: ${message}`,
        hint: "This error comes from azure-postgresql-auth (the proxy), not from the server.",
      });
      dropEarly();
      return;
    }
    if (client.destroyed) {
      dropEarly();
      return;
    }

    const parameters: Array<[string, string]> = [["user", role]];
    const unrecognized: string[] = [];
    for (const [name, value] of startup.parameters) {
      if (name === "user") continue;
      if (name.startsWith("_pq_.")) unrecognized.push(name);
      else parameters.push([name, value]);
    }

    let upstream: TLSSocket;
    try {
      upstream = await early;
    } catch (error) {
      const e = error instanceof UpstreamConnectError ? error : new UpstreamConnectError("tcp", String(error));
      metrics.loginFailures.inc({ code: "08006" });
      logger.log("error", "upstream_unreachable", { stage: e.stage, error: e.message });
      rejectClient(client, { severity: "FATAL", code: "08006", message: `azure-postgresql-auth proxy: ${e.message}` });
      return;
    }
    session.upstream = upstream;
    upstream.on("error", () => upstream.destroy());
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    let login: Awaited<ReturnType<typeof loginUpstream>>;
    try {
      // Refused as expired (this clock is behind the server's): once more with a fresh token.
      const first = await loginUpstream(upstream, parameters, token, connectTimeoutMs);
      const outcome = await retryExpiredLogin(first, token, {
        target,
        parameters,
        timeoutMs: connectTimeoutMs,
        source: tokenSource,
        host: options.host,
      });
      if (outcome.retried) {
        metrics.expiredTokenRetries.inc();
        logger.log("warn", "expired_token_retried", { role, ok: outcome.login.ok });
        if (outcome.login.ok) upstream = session.upstream = outcome.login.socket;
      } else if (outcome.notRetried !== undefined) {
        logger.log("warn", "expired_token_not_retried", { role, reason: redactTokens(outcome.notRetried) });
      }
      ({ login, token } = outcome);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      metrics.loginFailures.inc({ code: "08006" });
      logger.log("error", "upstream_login_failed", { error: redactTokens(message) });
      rejectClient(client, {
        severity: "FATAL",
        code: "08006",
        message: `azure-postgresql-auth proxy: ${redactTokens(message)}`,
      });
      return;
    }
    if (!login.ok) {
      let tokenRole: string | undefined;
      try {
        tokenRole = resolveRoleName(token, {}).roleName;
      } catch {
        tokenRole = undefined;
      }
      const { kind, fix } = explainRefusal(login.error, { role, roleSource, tokenRole });
      metrics.loginFailures.inc({ code: login.error.code });
      logger.log("warn", "login_refused", {
        role,
        roleSource,
        sqlstate: login.error.code,
        refusal: kind,
        server: redactTokens(login.error.message),
        fix,
      });
      client.end(login.raw); // the server's error, unchanged
      setTimeout(() => client.destroy(), 2000).unref();
      return;
    }
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    if (login.backendKey) {
      session.cancelKey = cancelKey(login.backendKey.processId, login.backendKey.secretKey);
      cancelTargets.set(session.cancelKey, target);
    }
    logger.log("debug", "login_ok", { role, roleSource });
    const negotiate = startup.minor > 0 || unrecognized.length > 0 ? negotiateProtocolVersion(unrecognized) : undefined;
    client.write(negotiate ? Buffer.concat([negotiate, login.greeting]) : login.greeting);
    if (startup.leftover.length > 0) upstream.write(startup.leftover);
    // From here on the proxy adds nothing: plain stream piping both ways.
    upstream.once("close", () => client.destroy());
    client.pipe(upstream);
    relayToClient(upstream, client);
    upstream.resume();
    client.resume();
  };

  const forwardCancel = (processId: number, secretKey: Buffer, packet: Buffer): void => {
    const to = cancelTargets.get(cancelKey(processId, secretKey));
    if (!to) {
      metrics.cancelRequests.inc({ outcome: "unknown_key" });
      logger.log("info", "cancel_unknown_key", { processId });
      return;
    }
    connectUpstreamTls(to, connectTimeoutMs).then(
      (socket) => {
        socket.on("error", () => socket.destroy());
        socket.end(packet);
        setTimeout(() => socket.destroy(), 5000).unref();
        metrics.cancelRequests.inc({ outcome: "forwarded" });
        logger.log("debug", "cancel_forwarded", { processId });
      },
      (error: unknown) => {
        metrics.cancelRequests.inc({ outcome: "failed" });
        logger.log("warn", "cancel_failed", {
          processId,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  };

  const onConnection = (client: net.Socket) => {
    handle(client).catch((error: unknown) => {
      logger.log("error", "internal_error", {
        error: redactTokens(error instanceof Error ? error.message : String(error)),
      });
      client.destroy();
    });
  };

  const servers: net.Server[] = [];
  const listen = options.listen ?? { port: 5432 };
  let tcp: { address: string; port: number } | undefined;
  try {
    if (listen.port !== undefined || listen.unixSocket === undefined) {
      const server = net.createServer({ noDelay: true }, onConnection);
      servers.push(server);
      await listenOn(server, { port: listen.port ?? 5432, host: listen.address ?? "127.0.0.1" });
      const address = server.address() as net.AddressInfo;
      tcp = { address: address.address, port: address.port };
    }
    if (listen.unixSocket !== undefined) {
      const path = listen.unixSocket;
      removeStaleSocket(path);
      const server = net.createServer({ noDelay: true }, onConnection);
      servers.push(server);
      const previous = process.umask(0o177); // the socket file is created owner-only (0600)
      try {
        await listenOn(server, { path });
      } finally {
        process.umask(previous);
      }
      chmodSync(path, 0o600);
    }
  } catch (error) {
    for (const s of servers) s.close();
    throw error;
  }
  logger.log("info", "listening", {
    ...(tcp && { tcp: `${tcp.address}:${tcp.port}` }),
    ...(listen.unixSocket && { unixSocket: listen.unixSocket }),
    server: `${target.host}:${target.port}`,
  });

  return {
    ...(tcp && { tcp }),
    ...(listen.unixSocket !== undefined && { unixSocket: listen.unixSocket }),
    metrics,
    get openConnections() {
      return sessions.size;
    },
    get draining() {
      return draining;
    },
    async checkToken() {
      await getToken();
    },
    async close({ drainMs = 0 } = {}) {
      draining = true;
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      if (sessions.size > 0) logger.log("info", "draining", { open: sessions.size, maxWaitMs: drainMs });
      const deadline = Date.now() + drainMs;
      while (sessions.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
      }
      const forced = sessions.size;
      for (const s of sessions) {
        s.client.destroy();
        s.upstream?.destroy();
      }
      await closed;
      logger.log("info", "stopped", { forcedClosed: forced });
      return { forced };
    },
  };
}

/** The largest TLS record's plaintext: the TLS socket hands the proxy at most this much per read. */
const FULL_RECORD = 16_384;

/**
 * `upstream.pipe(client)` with one change: a burst of full 16 KiB TLS records (COPY out, large
 * results) is written to the client with one writev per event-loop turn instead of one write per
 * record. The TLS socket emits each record's plaintext as its own chunk while a bare TCP relay
 * moves up to 64 KiB per read; corking until `setImmediate` (or until a short chunk ends the
 * burst) brings the proxy's writes to the client down to the relay's. A short chunk (a query's
 * answer) is written at once, as before, so round trips do not wait.
 */
function relayToClient(upstream: TLSSocket, client: net.Socket): void {
  let corked = false;
  const onDrain = () => upstream.resume();
  const waitForDrain = () => {
    upstream.pause();
    client.once("drain", onDrain);
  };
  const flush = () => {
    if (!corked) return;
    corked = false;
    client.uncork();
    if (client.writableLength >= client.writableHighWaterMark) waitForDrain();
  };
  upstream.on("data", (chunk: Buffer) => {
    if (chunk.length >= FULL_RECORD) {
      if (!corked) {
        corked = true;
        client.cork();
        setImmediate(flush);
      }
      client.write(chunk); // backpressure is checked once the burst is flushed
      return;
    }
    const ok = client.write(chunk);
    if (corked) flush();
    else if (!ok) waitForDrain();
  });
  upstream.once("end", () => {
    flush();
    client.end();
  });
}

function cancelKey(processId: number, secretKey: Buffer): string {
  return `${processId}:${secretKey.toString("hex")}`;
}

function listenOn(server: net.Server, where: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(where, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // not there: fine
  }
}
