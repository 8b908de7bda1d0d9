/**
 * The `azure-postgresql-auth` command line: proxy, token, whoami, check. Arguments are parsed with
 * node:util parseArgs. Only `token` ever writes a token.
 */
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { TokenCredential } from "@azure/core-auth";
import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { createEntraTokenSource, EntraAuthError, redactTokens } from "@azure/postgresql-auth-core";
import { collectDefaultMetrics } from "prom-client";
import { type AuthProxy, startAuthProxy } from "./auth-proxy.js";
import { type CheckStep, checkConnection } from "./check-connection.js";
import { describePrincipal } from "./describe-principal.js";
import { type HealthServer, startHealthServer } from "./health-server.js";
import { createProxyLogger, type ProxyLogLevel } from "./proxy-logger.js";
import { createProxyMetrics } from "./proxy-metrics.js";

/**
 * Exit codes a supervisor or script can act on.
 *
 * @example
 * ```ts
 * import { EXIT } from "@azure/postgresql-auth-cli";
 * if (process.exitCode === EXIT.login) console.error("the server refused the login");
 * ```
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  credential: 3,
  listen: 4,
  forcedShutdown: 5,
  dns: 10,
  tcp: 11,
  tls: 12,
  token: 13,
  login: 14,
  query: 15,
} as const;

/**
 * Where the command line writes, and what it reads.
 *
 * @example
 * ```ts
 * import type { CliIo } from "@azure/postgresql-auth-cli";
 * const io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env, onStop: () => {} };
 * ```
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Registers the listener for the process being asked to stop (SIGTERM/SIGINT). */
  onStop: (listener: (signal: string) => void) => void;
  /** Printed by --version. */
  version?: string;
}

const HELP = `azure-postgresql-auth <command> [options]

Log any PostgreSQL client in to Azure Database for PostgreSQL with Microsoft Entra ID.

Commands:
  proxy    local auth proxy: clients connect to 127.0.0.1 without TLS and without a password,
           the proxy logs them in to the server over verified TLS with an Entra token
  token    print an access token for the server's cloud (for PGPASSWORD)
  whoami   who the credential is, the role name our rules pick, and the SQL that creates the role
  check    connect step by step and explain what fails (exit 0 only when a query ran)

Common options:
  --host HOST             server host (token, whoami: picks the cloud; check: PGHOST)
  --credential KIND       default | cli | azd | managed-identity | workload-identity | environment
  --client-id ID          client id of a user-assigned managed identity
  --scope SCOPE           token scope (default: by the host's cloud)
  --tenant-id ID          tenant to request tokens from
  -h, --help              this help; --version

proxy options:
  --port PORT             server port (default 5432)
  --listen-address ADDR   default 127.0.0.1 (loopback); anything else only when given
  --listen-port PORT      default 5432 (0 picks a free port) unless only --unix-socket is given
  --unix-socket PATH      also (or only) listen on a Unix socket, created mode 0600
  --ca FILE               PEM CA file to verify the server with (default: Node's CAs)
  --username ROLE         always log in as ROLE (default: the client's user name)
  --role-from-token       ignore the client's user name: role from the token (upn, managed identity name, ...)
  --local-password-file FILE  clients must send this password (or env AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD)
  --max-connections N     refuse clients beyond N (SQLSTATE 53300)
  --max-sigterm-delay S   on SIGTERM stop accepting and wait up to S seconds for open connections (default 0)
  --startup-timeout S     a client must finish its startup within S seconds (default 30)
  --http-port PORT        serve /startup /liveness /readiness /metrics
  --http-address ADDR     default 127.0.0.1 (use 0.0.0.0 for Kubernetes probes)
  --json-logs             one JSON object per log line
  --log-level LEVEL       debug | info | warn | error (default info)

Clients connect with sslmode=disable (the hop to the proxy is local; the proxy always uses
verified TLS to the server), e.g. psql "host=127.0.0.1 port=5432 dbname=postgres user=<role> sslmode=disable"

token options:  --json  (adds expiresOn)
whoami options: --username ROLE, --fallback-username ROLE, --json
check options:  --port, --dbname, --user (or PGPORT, PGDATABASE, PGUSER), --ca (or PGSSLROOTCERT), --json;
                PGPASSWORD, when set, is checked as the token instead of getting one

Exit codes: 0 ok; 1 failed; 2 usage; 3 no token (credential); 4 cannot listen; 5 shutdown closed
open connections after --max-sigterm-delay; check: 10 DNS, 11 TCP, 12 TLS, 13 token, 14 login refused, 15 query.
`;

const common = {
  host: { type: "string" },
  credential: { type: "string" },
  "client-id": { type: "string" },
  scope: { type: "string" },
  "tenant-id": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

class UsageError extends Error {}

/**
 * Runs the command line and resolves with the exit code.
 *
 * @example
 * ```ts
 * import { runCli } from "@azure/postgresql-auth-cli";
 * const code = await runCli(["whoami", "--json"], {
 *   stdout: (t) => process.stdout.write(t),
 *   stderr: (t) => process.stderr.write(t),
 *   env: process.env,
 *   onStop: (listener) => process.once("SIGTERM", () => listener("SIGTERM")),
 * });
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "proxy":
        return await proxyCommand(rest, io);
      case "token":
        return await tokenCommand(rest, io);
      case "whoami":
        return await whoamiCommand(rest, io);
      case "check":
        return await checkCommand(rest, io);
      case "--version":
        io.stdout(`${io.version ?? "unknown"}\n`);
        return EXIT.ok;
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.stdout(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`azure-postgresql-auth: ${(error as Error).message}\nRun azure-postgresql-auth --help.\n`);
      return EXIT.usage;
    }
    if (EntraAuthError.isInstance(error)) {
      io.stderr(`azure-postgresql-auth: ${error.code}: ${redactTokens(error.message)}\n`);
      return error.code === "INVALID_OPTION" || error.code === "INVALID_SCOPE" ? EXIT.usage : EXIT.credential;
    }
    io.stderr(`azure-postgresql-auth: ${redactTokens(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT.failed;
  }
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  return parseArgs({ args, options: { ...common, ...options }, allowPositionals: false, strict: true });
}

function credentialFrom(values: {
  credential?: string | undefined;
  "client-id"?: string | undefined;
}): TokenCredential {
  const clientId = values["client-id"];
  switch (values.credential ?? "default") {
    case "default":
      return clientId
        ? new DefaultAzureCredential({ managedIdentityClientId: clientId })
        : new DefaultAzureCredential();
    case "cli":
      return new AzureCliCredential();
    case "azd":
      return new AzureDeveloperCliCredential();
    case "managed-identity":
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case "workload-identity":
      return new WorkloadIdentityCredential(clientId ? { clientId } : {});
    case "environment":
      return new EnvironmentCredential();
    default:
      throw new UsageError(
        `--credential must be default, cli, azd, managed-identity, workload-identity or environment (got "${values.credential}")`,
      );
  }
}

function intOption(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min} (got "${value}")`);
  return n;
}

function secondsOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number of seconds ≥ 0 (got "${value}")`);
  return n * 1000;
}

async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { json: { type: "boolean" } });
  if (values.help) return help(io);
  const source = createEntraTokenSource(credentialFrom(values), {
    ...(values.scope !== undefined && { scope: values.scope }),
    ...(values["tenant-id"] !== undefined && { tenantId: values["tenant-id"] }),
  });
  const host = values.host ?? io.env.PGHOST;
  const { token, expiresOnTimestamp } = await source.getAccessToken(host ? { host } : {});
  io.stdout(
    values.json
      ? `${JSON.stringify({ token, expiresOn: new Date(expiresOnTimestamp).toISOString(), expiresOnTimestamp })}\n`
      : `${token}\n`,
  );
  return EXIT.ok;
}

async function whoamiCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    json: { type: "boolean" },
    username: { type: "string" },
    "fallback-username": { type: "string" },
  });
  if (values.help) return help(io);
  const host = values.host ?? io.env.PGHOST;
  const who = await describePrincipal(credentialFrom(values), {
    ...(host && { host }),
    ...(values.scope !== undefined && { scope: values.scope }),
    ...(values["tenant-id"] !== undefined && { tenantId: values["tenant-id"] }),
    ...(values.username !== undefined && { username: values.username }),
    ...(values["fallback-username"] !== undefined && { fallbackUsername: values["fallback-username"] }),
    env: io.env,
  });
  if (values.json) {
    io.stdout(`${JSON.stringify(who, null, 2)}\n`);
    return EXIT.ok;
  }
  const kindText = { user: "user", servicePrincipal: "service principal", managedIdentity: "managed identity" }[
    who.kind
  ];
  io.stdout(
    [
      `principal:    ${kindText} ${who.name}${who.displayName && who.displayName !== who.name ? ` (${who.displayName})` : ""}`,
      `object id:    ${who.objectId}`,
      `tenant:       ${who.tenantId ?? "(not in token)"}`,
      `client id:    ${who.clientId ?? "(not in token)"}`,
      `token expiry: ${who.expiresOn}${who.audience ? ` (audience ${who.audience})` : ""}`,
      `role name:    ${who.roleName}`,
      `              from ${who.roleReason}`,
      "",
      "An Entra admin of the server creates this role (in the postgres database):",
      "",
      `  ${who.sql}`,
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}

const stepExit: Record<CheckStep, number> = {
  dns: EXIT.dns,
  tcp: EXIT.tcp,
  tls: EXIT.tls,
  token: EXIT.token,
  login: EXIT.login,
  query: EXIT.query,
};

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    json: { type: "boolean" },
    port: { type: "string" },
    dbname: { type: "string", short: "d" },
    user: { type: "string", short: "U" },
    ca: { type: "string" },
  });
  if (values.help) return help(io);
  const host = values.host ?? io.env.PGHOST;
  if (!host) throw new UsageError("give the server with --host or PGHOST");
  const caFile = values.ca ?? io.env.PGSSLROOTCERT;
  const user = values.user ?? io.env.PGUSER;
  const result = await checkConnection({
    host,
    port: intOption(values.port ?? io.env.PGPORT, "--port", 1) ?? 5432,
    database: values.dbname ?? io.env.PGDATABASE ?? "postgres",
    ...(user && { user }),
    ...(io.env.PGPASSWORD ? { password: io.env.PGPASSWORD } : { credential: credentialFrom(values) }),
    ...(caFile && caFile !== "system" && { ca: readFileSync(caFile, "utf8") }),
    ...(values.scope !== undefined && { scope: values.scope }),
    ...(values["tenant-id"] !== undefined && { tenantId: values["tenant-id"] }),
  });
  if (values.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const step of result.steps) {
      io.stdout(`${step.ok ? "ok  " : "FAIL"} ${step.step.padEnd(6)} ${step.detail}\n`);
      if (step.fix) io.stdout(`     fix: ${step.fix}\n`);
    }
  }
  const failed = result.steps.find((s) => !s.ok);
  return result.ok ? EXIT.ok : failed ? stepExit[failed.step] : EXIT.failed;
}

async function proxyCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    port: { type: "string" },
    "listen-address": { type: "string" },
    "listen-port": { type: "string" },
    "unix-socket": { type: "string" },
    ca: { type: "string" },
    username: { type: "string" },
    "role-from-token": { type: "boolean" },
    "local-password-file": { type: "string" },
    "max-connections": { type: "string" },
    "max-sigterm-delay": { type: "string" },
    "startup-timeout": { type: "string" },
    "http-port": { type: "string" },
    "http-address": { type: "string" },
    "json-logs": { type: "boolean" },
    "log-level": { type: "string" },
  });
  if (values.help) return help(io);
  if (!values.host)
    throw new UsageError("proxy needs --host (the Azure server, e.g. myserver.postgres.database.azure.com)");
  const level = (values["log-level"] ?? "info") as ProxyLogLevel;
  if (!["debug", "info", "warn", "error"].includes(level))
    throw new UsageError("--log-level must be debug, info, warn or error");
  if (values.username !== undefined && values["role-from-token"])
    throw new UsageError("give --username or --role-from-token, not both");
  const logger = createProxyLogger({ json: values["json-logs"] ?? false, level, write: io.stderr });
  const maxConnections = intOption(values["max-connections"], "--max-connections", 1);
  const drainMs = secondsOption(values["max-sigterm-delay"], "--max-sigterm-delay") ?? 0;
  const startupTimeoutMs = secondsOption(values["startup-timeout"], "--startup-timeout");
  const listenPort = intOption(values["listen-port"], "--listen-port");
  const httpPort = intOption(values["http-port"], "--http-port");
  const localPassword = values["local-password-file"]
    ? readFileSync(values["local-password-file"], "utf8").replace(/\r?\n$/, "")
    : io.env.AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD || undefined;
  const credential = credentialFrom(values);
  // This process is the proxy: its /metrics also carry Node's own (CPU, memory, event loop, GC).
  const metrics = createProxyMetrics();
  collectDefaultMetrics({ register: metrics.registry });

  let proxy: AuthProxy;
  try {
    proxy = await startAuthProxy({
      host: values.host,
      port: intOption(values.port, "--port", 1) ?? 5432,
      ...(values.ca && { ca: readFileSync(values.ca, "utf8") }),
      credential,
      listen: {
        ...(values["listen-address"] !== undefined && { address: values["listen-address"] }),
        ...(listenPort !== undefined || values["unix-socket"] === undefined ? { port: listenPort ?? 5432 } : {}),
        ...(values["unix-socket"] !== undefined && { unixSocket: values["unix-socket"] }),
      },
      ...(values.username !== undefined && { username: values.username }),
      ...(values["role-from-token"] && { roleFromToken: true }),
      ...(localPassword !== undefined && { localPassword }),
      ...(maxConnections !== undefined && { maxConnections }),
      ...(startupTimeoutMs !== undefined && { startupTimeoutMs }),
      tokenOptions: {
        ...(values.scope !== undefined && { scope: values.scope }),
        ...(values["tenant-id"] !== undefined && { tenantId: values["tenant-id"] }),
      },
      logger,
      metrics,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      logger.log("error", "listen_failed", { code, error: (error as Error).message });
      return EXIT.listen;
    }
    throw error;
  }
  let health: HealthServer | undefined;
  try {
    if (httpPort !== undefined) {
      health = await startHealthServer(proxy, {
        port: httpPort,
        ...(values["http-address"] !== undefined && { address: values["http-address"] }),
        ...(maxConnections !== undefined && { maxConnections }),
      });
      logger.log("info", "http_listening", { address: `${values["http-address"] ?? "127.0.0.1"}:${health.port}` });
    }
  } catch (error) {
    await proxy.close();
    logger.log("error", "listen_failed", {
      code: (error as NodeJS.ErrnoException).code,
      error: (error as Error).message,
    });
    return EXIT.listen;
  }
  // Warm the cache so the first client does not wait; a failure here is reported, not fatal
  // (the identity may become available later; /readiness tells).
  proxy.checkToken().then(
    () => logger.log("info", "token_ready", {}),
    (error: unknown) =>
      logger.log("warn", "token_unavailable", {
        code: EntraAuthError.isInstance(error) ? error.code : "TOKEN_ACQUISITION_FAILED",
        error: redactTokens(error instanceof Error ? error.message : String(error)),
      }),
  );

  const signal = await new Promise<string>((resolve) => io.onStop(resolve));
  logger.log("info", "shutdown", { signal, open: proxy.openConnections, maxSigtermDelayMs: drainMs });
  const { forced } = await proxy.close({ drainMs });
  await health?.close();
  return forced > 0 ? EXIT.forcedShutdown : EXIT.ok;
}

function help(io: CliIo): number {
  io.stdout(HELP);
  return EXIT.ok;
}
