import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { TokenCredential } from "@azure/core-auth";
import {
  createEntraLogin,
  EntraAuthError,
  type EntraLoginResult,
  type GetEntraTokenPasswordOptions,
} from "@azure/postgresql-auth-core";
import { isLoopbackHost, redactTokens, resolveRoleName } from "@azure/postgresql-auth-core/internal";
import { type ClientStartup, readClientStartup, rejectClient } from "./client-startup.js";
import { explainRefusal } from "./explain-refusal.js";
import type { ProxyLogger } from "./proxy-logger.js";
import { nowMs, ProxyLoginTrace } from "./proxy-login-trace.js";
import { createProxyMetrics, type ProxyMetrics } from "./proxy-metrics.js";
import { retryExpiredLogin } from "./retry-expired-login.js";
import {
  connectUpstreamTls,
  loginUpstream,
  UpstreamConnectError,
  type UpstreamTarget,
  type UpstreamTiming,
} from "./upstream-login.js";
import { endsWithTerminate, negotiateProtocolVersion } from "./wire-protocol.js";

/**
 * One Azure server the proxy serves, with its own listener. See {@link AuthProxyOptions.servers}.
 */
export interface AuthProxyServer {
  /** The Azure server's host name; also selects the cloud (token scope) for this server. */
  host: string;
  /** The server's port. Default 5432 (6432 is Azure's built-in PgBouncer). */
  port?: number;
  /**
   * Where to listen for this server's clients: a TCP `port` (0 picks one) on `address` (default
   * `127.0.0.1`) and/or a Unix socket path (created owner-only, mode 0600). Default: TCP port
   * 5432 on 127.0.0.1.
   */
  listen?: { address?: string; port?: number; unixSocket?: string };
  /** The database a client gets when its startup message names none. */
  database?: string;
}

/**
 * Options of {@link startAuthProxy}. Give one server with `host` (and `port`, `listen`), or
 * several with `servers`.
 *
 * @example
 * Two servers, each with its own listener; a client of the second gets database `reports` when it names none:
 * ```ts
 * import type { AuthProxyOptions } from "@azure/postgresql-auth-cli";
 * import { DefaultAzureCredential } from "@azure/identity";
 * const options: AuthProxyOptions = {
 *   credential: new DefaultAzureCredential(),
 *   servers: [
 *     { host: "orders.postgres.database.azure.com", listen: { port: 5432 } },
 *     { host: "reporting.postgres.database.azure.com", listen: { port: 5433 }, database: "reports" },
 *   ],
 * };
 * ```
 */
export interface AuthProxyOptions {
  /** The Azure server's host name (one server); also selects the cloud (token scope). */
  host?: string;
  /** The server's port (with `host`). Default 5432. */
  port?: number;
  /**
   * Several servers in one proxy, each with its own listener (instead of `host`, `port` and
   * `listen`). Servers of one cloud share one cached token.
   */
  servers?: AuthProxyServer[];
  /** CA certificates (PEM) to verify the servers with instead of Node's CAs. The certificate is always verified. */
  ca?: string | Buffer;
  /** Where the tokens come from, e.g. `new DefaultAzureCredential()`. */
  credential: TokenCredential;
  /**
   * Where to listen (with `host`): a TCP `port` (0 picks one) on `address` (default `127.0.0.1`)
   * and/or a Unix socket path (created owner-only, mode 0600). Default: TCP port 5432 on 127.0.0.1.
   */
  listen?: { address?: string; port?: number; unixSocket?: string };
  /** Always log in as this role, whatever user name the client sends. */
  username?: string;
  /** Ignore the client's user name and pick the role from the token by the core rules. */
  roleFromToken?: boolean;
  /** Clients must send this password to the proxy (it is checked locally, never sent upstream). */
  localPassword?: string;
  /** Refuse clients beyond this many open connections, all servers together (SQLSTATE 53300). Default: no limit. */
  maxConnections?: number;
  /** A client must finish its startup (and local password) within this time. Default 30000 ms. */
  startupTimeoutMs?: number;
  /** Connecting and logging in to the server must finish within this time. Default 30000 ms. */
  connectTimeoutMs?: number;
  /** Token options (scope, tenantId, cache, timeoutMs) as for the adapters. */
  tokenOptions?: Omit<GetEntraTokenPasswordOptions, "host">;
  /** Receives the proxy's log events (one `connection_closed` line per connection, among others). */
  logger?: ProxyLogger;
  /** The metrics to count into. Default: a new {@link createProxyMetrics}. */
  metrics?: ProxyMetrics;
}

/**
 * What one server of a running proxy listens on. See {@link AuthProxy.servers}.
 *
 * @example
 * ```ts
 * import type { AuthProxy } from "@azure/postgresql-auth-cli";
 * declare const proxy: AuthProxy;
 * for (const s of proxy.servers) console.log(s.server, s.tcp?.port, s.unixSocket);
 * ```
 */
export interface AuthProxyListener {
  /** `host:port` of the Azure server, as in log lines and the metrics' `server` label. */
  readonly server: string;
  /** The Azure server's host name. */
  readonly host: string;
  /** The Azure server's port. */
  readonly port: number;
  /** The TCP address actually bound, if any. */
  readonly tcp?: { address: string; port: number };
  /** The Unix socket path, if any. */
  readonly unixSocket?: string;
  /** The database given for this server, if any. */
  readonly database?: string;
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
  /** The TCP address actually bound for the first server, if any. */
  readonly tcp?: { address: string; port: number };
  /** The Unix socket path of the first server, if any. */
  readonly unixSocket?: string;
  /** Every server with what it listens on, in the order given. */
  readonly servers: readonly AuthProxyListener[];
  /** The metrics the proxy counts into. */
  readonly metrics: ProxyMetrics;
  /** Client connections open now (in startup or relaying). */
  readonly openConnections: number;
  /** True from {@link AuthProxy.close} on. */
  readonly draining: boolean;
  /** Gets a token for every server from the shared cache (cheap when cached); rejects with an {@link EntraAuthError}. */
  checkToken(): Promise<void>;
  /**
   * The role the proxy logs a client in as when the client sends `user` (default: none, so the
   * role comes from `username` or the token), for the server with host `host` (default: the first).
   */
  roleFor(user?: string, host?: string): Promise<string>;
  /**
   * Shuts down: keeps accepting new clients for `acceptMs` (default 0; `/readiness` already
   * answers 503), then stops accepting, waits up to `drainMs` (default 0) for open connections to
   * finish, then closes the rest. Resolves with how many had to be closed. A second call while
   * closing cuts the remaining waits down to its own values.
   */
  close(options?: { drainMs?: number; acceptMs?: number }): Promise<{ forced: number }>;
}

/** Why a client connection ended, as its `connection_closed` log line says. */
type EndReason = "client_closed" | "server_closed" | "error" | "refused" | "drain" | "cancel_request";

interface ServerState {
  name: string;
  target: UpstreamTarget;
  database?: string | undefined;
  listen: { address?: string; port?: number; unixSocket?: string };
  tcp?: { address: string; port: number };
  nets: net.Server[];
}

interface Session {
  client: net.Socket;
  server: ServerState;
  /** The client's address when it connected (`unix` for a Unix socket). */
  peer: string;
  startedAt: number;
  phase: "startup" | "login" | "relay";
  upstream?: TLSSocket;
  cancelKey?: string;
  role?: string;
  database?: string;
  /** The first cause of the end wins. */
  end?: { reason: EndReason; sqlstate?: string; code?: string; side?: "client" | "server" };
}

const quietLogger: ProxyLogger = { log() {} };

/** Where the role name came from, in the proxy's words (the token's claims otherwise). */
const roleSources: Partial<Record<EntraLoginResult["userSource"], string>> = {
  username: "the proxy's --username",
  configured: "the client's user name",
};

/**
 * Starts the local auth proxy: PostgreSQL clients connect without TLS on loopback and without a
 * token; the proxy logs each one in to the Azure server over verified TLS with a cached Entra
 * token, then relays the bytes both ways. Logs one `connection_closed` line per connection (who,
 * which server, how long, bytes each way, and why it ended).
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
  const servers: ServerState[] = serverList(options).map((s) => {
    const target: UpstreamTarget = { host: s.host, port: s.port ?? 5432, ca: options.ca };
    return {
      name: `${target.host}:${target.port}`,
      target,
      database: s.database,
      listen: s.listen ?? { port: 5432 },
      nets: [],
    };
  });
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  const userTokenEvent = options.tokenOptions?.onTokenEvent;
  // The one login policy, as every adapter uses it, shared by every server: each login's host
  // selects the cloud (core's cache keeps one token per credential and scope, so servers of one
  // cloud share it), the upstream's TLS (always verified, see connectUpstreamTls) goes through the
  // same rule, and the role name follows the core's order with the client's user name as the
  // configured user. The proxy's own environment (PGUSER, PGSSLMODE) describes the client's hop, not
  // the server: not read.
  const entraLogin = createEntraLogin(
    options.credential,
    {
      ...options.tokenOptions,
      ...(options.username ? { username: options.username } : {}),
      env: {},
      onTokenEvent: (event) => {
        if (event.type === "credentialCall") metrics.tokenRequested();
        if (event.type === "refreshFailed") {
          logger.log("warn", "token_refresh_failed", {
            scope: event.scopes.join(" "),
            error: redactTokens(event.error.message),
            retryInMs: event.retryInMs,
          });
        }
        userTokenEvent?.(event);
      },
    },
    "azure-postgresql-auth proxy",
  );
  const upstreamTls = { ssl: { rejectUnauthorized: true, ...(options.ca !== undefined && { ca: options.ca }) } };
  const loginFor = (server: ServerState, clientUser: string | undefined): Promise<EntraLoginResult> =>
    entraLogin.login({
      host: server.target.host,
      port: server.target.port,
      tls: upstreamTls,
      configuredUser: options.roleFromToken ? undefined : clientUser,
    });
  const sessions = new Set<Session>();
  /** BackendKeyData of open upstream sessions (passed to clients unchanged) → the server that owns it. */
  const cancelTargets = new Map<string, ServerState>();
  let draining = false;
  let accepting = true;
  metrics.setOpenBytesReader(function* () {
    for (const s of sessions) {
      yield { server: s.server.name, fromClient: s.client.bytesRead, toClient: s.client.bytesWritten };
    }
  });

  const ended = (session: Session, end: NonNullable<Session["end"]>) => {
    session.end ??= end;
  };
  /** Answers the client with a PostgreSQL error and records why its connection ends. */
  const refuse = (session: Session, fields: { code: string; message: string; hint?: string }) => {
    ended(session, { reason: "refused", sqlstate: fields.code });
    rejectClient(session.client, { severity: "FATAL", ...fields });
  };

  const handle = async (client: net.Socket, server: ServerState): Promise<void> => {
    const session: Session = {
      client,
      server,
      peer: client.remoteAddress ? `${client.remoteAddress}:${client.remotePort}` : "unix",
      startedAt: performance.now(),
      phase: "startup",
    };
    sessions.add(session);
    metrics.connectionOpened(server.name);
    // One span per client login (none for a cancel request), sent when the login is decided.
    const loginTrace = new ProxyLoginTrace(server.target.host, server.target.port);
    client.setNoDelay(true);
    client.on("error", (error: NodeJS.ErrnoException) => {
      ended(session, { reason: "error", side: "client", ...(error.code && { code: error.code }) });
      client.destroy();
    });
    client.once("end", () => ended(session, { reason: "client_closed" }));
    client.once("close", () => {
      sessions.delete(session);
      metrics.connectionClosed(server.name, { fromClient: client.bytesRead, toClient: client.bytesWritten });
      if (session.cancelKey) cancelTargets.delete(session.cancelKey);
      session.upstream?.destroy();
      const end = session.end ?? { reason: "client_closed" };
      logger.log("info", "connection_closed", {
        server: server.name,
        client: session.peer,
        ...(session.role !== undefined && { role: session.role }),
        ...(session.database !== undefined && { database: session.database }),
        durationMs: Math.round(performance.now() - session.startedAt),
        bytesFromClient: client.bytesRead,
        bytesToClient: client.bytesWritten,
        ...end,
      });
    });
    // A client beyond --max-connections, or one that arrives once the proxy stopped accepting,
    // is refused after its startup message: an SSLRequest first gets its 'N', so libpq shows our
    // message and SQLSTATE instead of "error during SSL exchange". A cancel request still goes through.
    const refusal = !accepting
      ? { code: "57P03", message: "the azure-postgresql-auth proxy is shutting down" }
      : options.maxConnections !== undefined && sessions.size > options.maxConnections
        ? { code: "53300", message: `sorry, too many clients already (the proxy allows ${options.maxConnections})` }
        : undefined;
    if (refusal) {
      const startup = await readClientStartup(client, { timeoutMs: startupTimeoutMs, refuseWith: refusal });
      if (startup.kind === "cancel") {
        ended(session, { reason: "cancel_request" });
        forwardCancel(server, startup.processId, startup.secretKey, startup.packet);
        return;
      }
      if (startup.kind !== "refused") {
        client.destroy(); // not reached: refuseWith answers every startup message
        return;
      }
      ended(session, { reason: "refused", sqlstate: startup.code });
      metrics.loginFailed(server.name, startup.code);
      loginTrace.finish("proxy_refused", { sqlstate: startup.code });
      if (startup.code === "53300") {
        logger.log("warn", "max_connections", { server: server.name, maxConnections: options.maxConnections });
      }
      return;
    }

    // Open TCP + TLS to the server while the client sends its startup packet: the handshake is the
    // slow part of a connect, and overlapping it keeps the proxy's connect close to a direct one.
    const earlyStart = nowMs();
    const timing: UpstreamTiming = {};
    const early = connectUpstreamTls(server.target, connectTimeoutMs, timing);
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
      if (session.end?.reason === "drain") return; // closed by the shutdown, not refused
      ended(session, { reason: "refused", sqlstate: startup.code });
      metrics.loginFailed(server.name, startup.code);
      loginTrace.finish("proxy_refused", { sqlstate: startup.code });
      logger.log("info", "client_refused", { server: server.name, sqlstate: startup.code, error: startup.reason });
      return;
    }
    if (startup.kind === "cancel") {
      ended(session, { reason: "cancel_request" });
      forwardCancel(server, startup.processId, startup.secretKey, startup.packet);
      return;
    }
    session.phase = "login";

    const clientUser = startup.parameters.get("user") ?? "";
    let token: string;
    let role: string;
    let roleSource: string;
    try {
      const decided = await loginTrace.time("token", () => loginFor(server, clientUser));
      token = decided.password;
      role = decided.user;
      roleSource = roleSources[decided.userSource] ?? `the token (${decided.userSource})`;
    } catch (error) {
      const e = EntraAuthError.isInstance(error)
        ? error
        : new EntraAuthError("TOKEN_ACQUISITION_FAILED", "Could not get an access token.", { cause: error });
      const message = redactTokens(e.message);
      metrics.loginFailed(server.name, e.code);
      loginTrace.finish("token_failed", { sqlstate: "28000", errorType: e.code });
      logger.log("error", "credential_failed", { server: server.name, code: e.code, error: message });
      refuse(session, {
        code: "28000",
        message: `${e.code}: ${message}`,
        hint: "This error comes from azure-postgresql-auth (the proxy), not from the server.",
      });
      dropEarly();
      return;
    }
    if (gone(client)) {
      dropEarly();
      return;
    }
    session.role = role;
    loginTrace.role = role;

    const parameters: Array<[string, string]> = [["user", role]];
    const unrecognized: string[] = [];
    for (const [name, value] of startup.parameters) {
      if (name === "user") continue;
      if (name.startsWith("_pq_.")) unrecognized.push(name);
      else parameters.push([name, value]);
    }
    if (server.database !== undefined && !startup.parameters.has("database")) {
      parameters.push(["database", server.database]);
    }
    session.database = startup.parameters.get("database") ?? server.database ?? role;

    let upstream: TLSSocket;
    const connectPhases = (failedStage?: string) => {
      const connectedAt = timing.connectedAt ?? nowMs();
      const connectFailed = failedStage === "dns" || failedStage === "tcp";
      loginTrace.phase("connect", earlyStart, connectedAt, connectFailed);
      if (!connectFailed) loginTrace.phase("tls", connectedAt, timing.securedAt ?? nowMs(), failedStage !== undefined);
    };
    try {
      upstream = await early;
      connectPhases();
    } catch (error) {
      const e = error instanceof UpstreamConnectError ? error : new UpstreamConnectError("tcp", String(error));
      connectPhases(e.stage);
      loginTrace.finish("upstream_failed", { sqlstate: "08006", errorType: `upstream_${e.stage}` });
      metrics.loginFailed(server.name, "08006");
      logger.log("error", "upstream_unreachable", { server: server.name, stage: e.stage, error: e.message });
      refuse(session, { code: "08006", message: `azure-postgresql-auth proxy: ${e.message}` });
      return;
    }
    session.upstream = upstream;
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      ended(session, { reason: "error", side: "server", ...(error.code && { code: error.code }) });
      upstream.destroy();
    });
    if (gone(client)) {
      upstream.destroy();
      return;
    }
    let login: Awaited<ReturnType<typeof loginUpstream>>;
    const loginStart = nowMs();
    try {
      // Refused as expired (this clock is behind the server's): once more with a fresh token.
      const first = await loginUpstream(upstream, parameters, token, connectTimeoutMs);
      const outcome = await retryExpiredLogin(first, token, {
        target: server.target,
        parameters,
        timeoutMs: connectTimeoutMs,
        login: entraLogin,
        request: { host: server.target.host, port: server.target.port, tls: upstreamTls },
      });
      if (outcome.retried) {
        metrics.expiredTokenRetried(server.name);
        logger.log("warn", "expired_token_retried", { server: server.name, role, ok: outcome.login.ok });
        if (outcome.login.ok) upstream = session.upstream = outcome.login.socket;
      } else if (outcome.notRetried !== undefined) {
        logger.log("warn", "expired_token_not_retried", {
          server: server.name,
          role,
          reason: redactTokens(outcome.notRetried),
        });
      }
      ({ login, token } = outcome);
      loginTrace.phase("login", loginStart, nowMs(), !login.ok);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      loginTrace.phase("login", loginStart, nowMs(), true);
      loginTrace.finish("upstream_failed", { sqlstate: "08006", errorType: "upstream_login" });
      metrics.loginFailed(server.name, "08006");
      logger.log("error", "upstream_login_failed", { server: server.name, error: redactTokens(message) });
      refuse(session, { code: "08006", message: `azure-postgresql-auth proxy: ${redactTokens(message)}` });
      return;
    }
    if (!login.ok) {
      let tokenRole: string | undefined;
      try {
        tokenRole = resolveRoleName(token, { env: {} }).roleName; // what the token alone names, for the fix
      } catch {
        tokenRole = undefined;
      }
      const { kind, fix } = explainRefusal(login.error, { role, roleSource, tokenRole });
      metrics.loginFailed(server.name, login.error.code);
      loginTrace.finish("server_refused", { sqlstate: login.error.code });
      logger.log("warn", "login_refused", {
        server: server.name,
        role,
        roleSource,
        sqlstate: login.error.code,
        refusal: kind,
        serverMessage: redactTokens(login.error.message),
        fix,
      });
      ended(session, { reason: "refused", sqlstate: login.error.code });
      client.end(login.raw); // the server's error, unchanged
      setTimeout(() => client.destroy(), 2000).unref();
      return;
    }
    if (gone(client)) {
      upstream.destroy();
      return;
    }
    if (login.backendKey) {
      session.cancelKey = cancelKey(login.backendKey.processId, login.backendKey.secretKey);
      cancelTargets.set(session.cancelKey, server);
    }
    loginTrace.finish("ok");
    logger.log("debug", "login_ok", { server: server.name, role, roleSource });
    session.phase = "relay";
    const negotiate = startup.minor > 0 || unrecognized.length > 0 ? negotiateProtocolVersion(unrecognized) : undefined;
    client.write(negotiate ? Buffer.concat([negotiate, login.greeting]) : login.greeting);
    if (startup.leftover.length > 0) upstream.write(startup.leftover);
    // From here on the proxy adds nothing: plain stream piping both ways.
    // A client that sends Terminate ended its session, even when the server's close (its answer to
    // Terminate) reaches us before the client's own.
    let clientTerminated = false;
    client.on("data", (chunk: Buffer) => {
      clientTerminated = endsWithTerminate(chunk);
    });
    const upstreamGone = () => ended(session, { reason: clientTerminated ? "client_closed" : "server_closed" });
    upstream.once("end", upstreamGone);
    upstream.once("close", () => {
      upstreamGone();
      client.destroy();
    });
    client.pipe(upstream);
    relayToClient(upstream, client);
    upstream.resume();
    client.resume();
  };

  const forwardCancel = (server: ServerState, processId: number, secretKey: Buffer, packet: Buffer): void => {
    const owner = cancelTargets.get(cancelKey(processId, secretKey));
    if (!owner) {
      metrics.cancelRequested(server.name, "unknown_key");
      logger.log("info", "cancel_unknown_key", { server: server.name, processId });
      return;
    }
    connectUpstreamTls(owner.target, connectTimeoutMs).then(
      (socket) => {
        socket.on("error", () => socket.destroy());
        socket.end(packet);
        setTimeout(() => socket.destroy(), 5000).unref();
        metrics.cancelRequested(owner.name, "forwarded");
        logger.log("debug", "cancel_forwarded", { server: owner.name, processId });
      },
      (error: unknown) => {
        metrics.cancelRequested(owner.name, "failed");
        logger.log("warn", "cancel_failed", {
          server: owner.name,
          processId,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  };

  const onConnection = (server: ServerState) => (client: net.Socket) => {
    handle(client, server).catch((error: unknown) => {
      logger.log("error", "internal_error", {
        server: server.name,
        error: redactTokens(error instanceof Error ? error.message : String(error)),
      });
      client.destroy();
    });
  };

  const allNets = () => servers.flatMap((s) => s.nets);
  try {
    for (const server of servers) await listenFor(server, onConnection(server));
  } catch (error) {
    for (const s of allNets()) s.close();
    throw error;
  }
  for (const server of servers) {
    logger.log("info", "listening", {
      server: server.name,
      ...(server.tcp && { tcp: `${server.tcp.address}:${server.tcp.port}` }),
      ...(server.listen.unixSocket && { unixSocket: server.listen.unixSocket }),
      ...(server.database !== undefined && { database: server.database }),
    });
    if (server.tcp && !isLoopbackHost(server.tcp.address) && options.localPassword === undefined) {
      logger.log("warn", "listening_beyond_loopback", {
        server: server.name,
        tcp: `${server.tcp.address}:${server.tcp.port}`,
        risk: `anyone who can reach ${server.tcp.address}:${server.tcp.port} is logged in to ${server.name} as this proxy's Entra identity, without a password`,
        fix: "listen on 127.0.0.1 (the default) or a Unix socket, or make clients send a local password (--local-password-file FILE or AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD; the localPassword option), and limit who reaches the port (firewall, network policy)",
      });
    }
  }

  const listeners: AuthProxyListener[] = servers.map((s) => ({
    server: s.name,
    host: s.target.host,
    port: s.target.port,
    ...(s.tcp && { tcp: s.tcp }),
    ...(s.listen.unixSocket !== undefined && { unixSocket: s.listen.unixSocket }),
    ...(s.database !== undefined && { database: s.database }),
  }));
  const first = listeners[0]!;

  let closing: Promise<{ forced: number }> | undefined;
  /** Ends the current wait of a close early (a second close call). */
  let cutWaits: (() => void) | undefined;
  let acceptUntil = 0;
  let drainUntil = 0;
  const waitUntil = async (deadline: () => number, done: () => boolean) => {
    while (!done() && Date.now() < deadline()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, Math.max(1, deadline() - Date.now())));
        cutWaits = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const shutDown = async (drainMs: number, acceptMs: number): Promise<{ forced: number }> => {
    draining = true;
    const started = Date.now();
    acceptUntil = started + acceptMs;
    if (acceptMs > 0) logger.log("info", "accepting_while_draining", { acceptMs });
    await waitUntil(
      () => acceptUntil,
      () => false,
    );
    accepting = false;
    const closed = Promise.all(allNets().map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    logger.log("info", "stopped_accepting", { open: sessions.size });
    // A second close during the accept period may already have set an earlier end.
    drainUntil = drainUntil === 0 ? Date.now() + drainMs : Math.min(drainUntil, Date.now() + drainMs);
    if (sessions.size > 0) logger.log("info", "draining", { open: sessions.size, maxWaitMs: drainMs });
    await waitUntil(
      () => drainUntil,
      () => sessions.size === 0,
    );
    const forced = sessions.size;
    // The listeners report closed before the last sockets' own close events (which log each
    // connection's end): wait for those too.
    const lastOnes = [...sessions].map((s) => new Promise<void>((resolve) => s.client.once("close", () => resolve())));
    for (const s of sessions) {
      ended(s, { reason: "drain" });
      if (s.phase === "relay") {
        s.client.destroy();
        s.upstream?.destroy();
      } else {
        // Still in its startup or login: tell the client why (after any 'N' it was owed).
        s.upstream?.destroy();
        rejectClient(s.client, {
          severity: "FATAL",
          code: "57P01",
          message: "terminating connection: the azure-postgresql-auth proxy is shutting down",
        });
      }
    }
    await Promise.all([closed, ...lastOnes]);
    logger.log("info", "stopped", { forcedClosed: forced });
    return { forced };
  };

  return {
    ...(first.tcp && { tcp: first.tcp }),
    ...(first.unixSocket !== undefined && { unixSocket: first.unixSocket }),
    servers: listeners,
    metrics,
    get openConnections() {
      return sessions.size;
    },
    get draining() {
      return draining;
    },
    async checkToken() {
      await Promise.all(
        servers.map((s) => entraLogin.password({ host: s.target.host, port: s.target.port, tls: upstreamTls })),
      );
    },
    async roleFor(user = "", host) {
      const server = (host === undefined ? undefined : servers.find((s) => s.target.host === host)) ?? servers[0]!;
      return (await loginFor(server, user)).user;
    },
    close({ drainMs = 0, acceptMs = 0 } = {}) {
      if (closing) {
        // Already closing: cut the remaining waits down to this call's values.
        const now = Date.now();
        acceptUntil = Math.min(acceptUntil, now + acceptMs);
        drainUntil = drainUntil === 0 ? now + drainMs : Math.min(drainUntil, now + drainMs);
        cutWaits?.();
        return closing;
      }
      closing = shutDown(drainMs, acceptMs);
      return closing;
    },
  };
}

/** The servers of the options: `servers`, or the one given by `host`. */
function serverList(options: AuthProxyOptions): AuthProxyServer[] {
  if (options.servers !== undefined) {
    if (options.host !== undefined) {
      throw new EntraAuthError("INVALID_OPTION", "Give the proxy's server as host or in servers, not both.");
    }
    if (!Array.isArray(options.servers) || options.servers.length === 0) {
      throw new EntraAuthError("INVALID_OPTION", "The servers option needs at least one server ({ host, ... }).");
    }
    for (const s of options.servers) {
      if (typeof s?.host !== "string" || s.host.trim() === "") {
        throw new EntraAuthError("INVALID_OPTION", "Every entry of servers needs a host (the Azure server's name).");
      }
    }
    return options.servers;
  }
  if (typeof options.host !== "string" || options.host.trim() === "") {
    throw new EntraAuthError(
      "INVALID_OPTION",
      "The proxy needs a server: give host (e.g. myserver.postgres.database.azure.com) or servers.",
    );
  }
  return [
    {
      host: options.host,
      ...(options.port !== undefined && { port: options.port }),
      ...(options.listen !== undefined && { listen: options.listen }),
    },
  ];
}

/** Opens the server's TCP and/or Unix socket listeners. */
async function listenFor(server: ServerState, onConnection: (client: net.Socket) => void): Promise<void> {
  const listen = server.listen;
  if (listen.port !== undefined || listen.unixSocket === undefined) {
    const tcp = net.createServer({ noDelay: true }, onConnection);
    server.nets.push(tcp);
    await listenOn(tcp, { port: listen.port ?? 5432, host: listen.address ?? "127.0.0.1" });
    const address = tcp.address() as net.AddressInfo;
    server.tcp = { address: address.address, port: address.port };
  }
  if (listen.unixSocket !== undefined) {
    const path = listen.unixSocket;
    removeStaleSocket(path);
    const unix = net.createServer({ noDelay: true }, onConnection);
    server.nets.push(unix);
    const previous = process.umask(0o177); // the socket file is created owner-only (0600)
    try {
      await listenOn(unix, { path });
    } finally {
      process.umask(previous);
    }
    chmodSync(path, 0o600);
  }
}

/** The client is gone or already answered: nothing more may be written to it. */
function gone(client: net.Socket): boolean {
  return client.destroyed || client.writableEnded;
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
