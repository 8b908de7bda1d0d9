/**
 * What `proxy` and `exec` share: turn the resolved options into a running proxy, its health
 * server and, with --run-connection-test, a login to every server before it reports started.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { type AuthProxy, startAuthProxy } from "./auth-proxy.js";
import { checkConnection } from "./check-connection.js";
import { credentialFrom } from "./cli-credential.js";
import type { ResolvedOptions } from "./cli-options.js";
import { CHECK_STEP_EXIT, EXIT } from "./exit-codes.js";
import { type HealthServer, startHealthServer } from "./health-server.js";
import { type OtlpExport, startOtlpExport } from "./otlp-export.js";
import { createProxyLogger, type ProxyLogger, type ProxyLogLevel } from "./proxy-logger.js";
import { createProxyMetrics } from "./proxy-metrics.js";
import { type ServerSpec, toProxyServers } from "./server-spec.js";
import { UsageError } from "./usage-error.js";

/** A proxy the CLI started, with what the command needs to run and stop it. */
export interface LaunchedProxy {
  proxy: AuthProxy;
  health?: HealthServer;
  logger: ProxyLogger;
  credential: TokenCredential;
  /** --max-sigterm-delay in ms. */
  drainMs: number;
  /** The local password clients must send, if any. */
  localPassword?: string;
  /** Marks the proxy started: /startup answers 200 from now on. */
  markStarted(): void;
  /** The OpenTelemetry export (--otlp, OTEL_EXPORTER_OTLP_ENDPOINT), if on: shut it down last, to send what is left. */
  telemetry?: OtlpExport;
}

/** What the command adds: exec listens on a free loopback port only and logs less by default. */
export interface LaunchMode {
  command: "proxy" | "exec";
  /** Called once per POST /quitquitquit (only with --quitquitquit). */
  onQuitQuitQuit?: () => void;
}

/** Starts the proxy; resolves with it, or with an exit code when it could not start. */
export async function launchProxy(
  resolved: ResolvedOptions,
  io: { stderr: (text: string) => void; env: Record<string, string | undefined>; version?: string | undefined },
  mode: LaunchMode,
): Promise<LaunchedProxy | number> {
  const v = resolved.values;
  const str = (name: string) => v[name] as string | undefined;
  const level = (str("log-level") ?? (mode.command === "exec" ? "warn" : "info")) as ProxyLogLevel;
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new UsageError("--log-level must be debug, info, warn or error");
  }
  if (str("username") !== undefined && v["role-from-token"]) {
    throw new UsageError("give --username or --role-from-token, not both");
  }
  if (v.quitquitquit && str("http-port") === undefined) {
    throw new UsageError("--quitquitquit serves POST /quitquitquit on the health server: give --http-port too");
  }
  const specs = serverSpecs(resolved);
  if (mode.command === "exec" && specs.length > 1) {
    throw new UsageError("exec runs its command against one server: give one SERVER (or --host)");
  }
  const logger = createProxyLogger({ json: v["json-logs"] === true, level, write: io.stderr });
  const maxConnections = intOption(str("max-connections"), "--max-connections", 1);
  const drainMs = secondsOption(str("max-sigterm-delay"), "--max-sigterm-delay") ?? 0;
  const startupTimeoutMs = secondsOption(str("startup-timeout"), "--startup-timeout");
  const httpPort = intOption(str("http-port"), "--http-port");
  const localPasswordFile = str("local-password-file");
  const localPassword = localPasswordFile
    ? readFileSync(localPasswordFile, "utf8").replace(/\r?\n$/, "")
    : io.env.AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD || undefined;
  const credential = credentialFrom(v);
  const servers =
    mode.command === "exec"
      ? toProxyServers(specs, {
          port: intOption(str("port"), "--port", 1),
          database: str("dbname"),
          listenAddress: "127.0.0.1",
          listenPort: 0,
        })
      : toProxyServers(specs, {
          port: intOption(str("port"), "--port", 1),
          listenAddress: str("listen-address"),
          listenPort: intOption(str("listen-port"), "--listen-port"),
          unixSocket: str("unix-socket"),
          database: str("dbname"),
        });
  const ca = str("ca") ? readFileSync(str("ca")!, "utf8") : undefined;
  const tokenOptions = {
    ...(str("scope") !== undefined && { scope: str("scope")! }),
    ...(str("tenant-id") !== undefined && { tenantId: str("tenant-id")! }),
  };
  // OpenTelemetry: --otlp, or the standard OTEL_EXPORTER_OTLP_* variables (the SDK loads only then).
  const telemetry = await startOtlpExport({
    flag: otlpFlag(str("otlp")),
    env: io.env,
    version: io.version,
    logger,
  });
  // This process is the proxy: its /metrics also carry Node's own (CPU, memory, event loop, GC).
  const metrics = createProxyMetrics({ processMetrics: true, ...(telemetry && { meter: telemetry.meter }) });

  let proxy: AuthProxy;
  try {
    proxy = await startAuthProxy({
      servers,
      ...(ca !== undefined && { ca }),
      credential,
      ...(str("username") !== undefined && { username: str("username")! }),
      ...(v["role-from-token"] === true && { roleFromToken: true }),
      ...(localPassword !== undefined && { localPassword }),
      ...(maxConnections !== undefined && { maxConnections }),
      ...(startupTimeoutMs !== undefined && { startupTimeoutMs }),
      tokenOptions,
      logger,
      metrics,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    await telemetry?.shutdown();
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      logger.log("error", "listen_failed", { code, error: (error as Error).message });
      return EXIT.listen;
    }
    throw error;
  }

  let started = false;
  let health: HealthServer | undefined;
  try {
    if (httpPort !== undefined) {
      const address = str("http-address");
      health = await startHealthServer(proxy, {
        port: httpPort,
        ...(address !== undefined && { address }),
        ...(maxConnections !== undefined && { maxConnections }),
        isStarted: () => started,
        ...(v.quitquitquit === true && mode.onQuitQuitQuit && { onQuitQuitQuit: mode.onQuitQuitQuit }),
      });
      logger.log("info", "http_listening", {
        address: `${address ?? "127.0.0.1"}:${health.port}`,
        ...(v.quitquitquit === true && { quitquitquit: true }),
      });
    }
  } catch (error) {
    await proxy.close();
    await telemetry?.shutdown();
    logger.log("error", "listen_failed", {
      code: (error as NodeJS.ErrnoException).code,
      error: (error as Error).message,
    });
    return EXIT.listen;
  }

  if (v["run-connection-test"] === true) {
    // The proxy's own token source asks first (its credential calls are the ones /metrics
    // counts); the test then finds the token in the shared cache. A failure shows in the test.
    await proxy.checkToken().catch(() => undefined);
    for (const server of proxy.servers) {
      const result = await checkConnection({
        host: server.host,
        port: server.port,
        database: server.database ?? "postgres",
        ...(str("username") !== undefined && { user: str("username")! }),
        credential,
        ...(ca !== undefined && { ca }),
        ...(tokenOptions.scope !== undefined && { scope: tokenOptions.scope }),
        ...(tokenOptions.tenantId !== undefined && { tenantId: tokenOptions.tenantId }),
      });
      const failed = result.steps.find((s) => !s.ok);
      if (!result.ok) {
        logger.log("error", "connection_test_failed", {
          server: server.server,
          step: failed?.step,
          detail: failed?.detail,
          ...(failed?.sqlstate !== undefined && { sqlstate: failed.sqlstate }),
          ...(failed?.fix !== undefined && { fix: failed.fix }),
        });
        await proxy.close();
        await health?.close();
        await telemetry?.shutdown();
        return failed ? CHECK_STEP_EXIT[failed.step] : EXIT.failed;
      }
      logger.log("info", "connection_test_ok", { server: server.server, role: result.currentUser });
    }
  }
  return {
    proxy,
    ...(health !== undefined && { health }),
    logger,
    credential,
    drainMs,
    ...(localPassword !== undefined && { localPassword }),
    ...(telemetry !== undefined && { telemetry }),
    markStarted: () => {
      started = true;
    },
  };
}

/** `--otlp`'s value: `""` (on, endpoint from the environment) also for `true`/`1`/`yes`/`on` in a variable. */
function otlpFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return ["true", "1", "yes", "on"].includes(value.trim().toLowerCase()) ? "" : value.trim();
}

/** The servers: SERVER arguments or --host, from the highest of flags, environment, file that has either. */
function serverSpecs(resolved: ResolvedOptions): ServerSpec[] {
  const host = resolved.values.host as string | undefined;
  const hostSource = host !== undefined ? resolved.sources.host : undefined;
  const servers = resolved.servers;
  for (const level of ["flag", "env", "file"] as const) {
    const fromHost = hostSource === level;
    const fromServers = servers?.source === level;
    if (fromHost && fromServers) {
      const where = { flag: "the command line", env: "the environment", file: "the config file" }[level];
      throw new UsageError(
        `${where} gives the server twice: use --host for one server or SERVER arguments (servers), not both`,
      );
    }
    if (fromHost) return [{ host: host! }];
    if (fromServers) return servers!.specs;
  }
  throw new UsageError(
    "give the Azure server: --host myserver.postgres.database.azure.com, or one SERVER argument per server",
  );
}

/** A whole number ≥ min from a flag's text. */
export function intOption(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min} (got "${value}")`);
  return n;
}

/** Seconds (fractions allowed) from a flag's text, in milliseconds. */
export function secondsOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number of seconds ≥ 0 (got "${value}")`);
  return n * 1000;
}
