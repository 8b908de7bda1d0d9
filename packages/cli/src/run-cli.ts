/**
 * The `azure-postgresql-auth` command line: proxy, exec, wait, shutdown, token, whoami, check.
 * Arguments are parsed with node:util parseArgs; every flag can also come from the environment
 * or a config file (cli-options.ts). Only `token` ever writes a token.
 */
import { readFileSync } from "node:fs";
import { createEntraTokenSource, EntraAuthError } from "@azure/postgresql-auth-core";
import { redactTokens } from "@azure/postgresql-auth-core/internal";
import { checkConnection } from "./check-connection.js";
import { credentialFrom } from "./cli-credential.js";
import { commandHelp, overviewHelp } from "./cli-help.js";
import { type CommandName, resolveOptions } from "./cli-options.js";
import { describePrincipal } from "./describe-principal.js";
import { execCommand } from "./exec-command.js";
import { CHECK_STEP_EXIT, EXIT } from "./exit-codes.js";
import { intOption } from "./launch-proxy.js";
import { proxyCommand } from "./proxy-command.js";
import { shutdownCommand } from "./shutdown-command.js";
import { UsageError } from "./usage-error.js";
import { waitCommand } from "./wait-command.js";

/**
 * Where the command line writes, and what it reads.
 */
export interface CliIo {
  /** Writes to standard output. */
  stdout: (text: string) => void;
  /** Writes to standard error (the proxy's log lines go here). */
  stderr: (text: string) => void;
  /** The environment: `AZURE_POSTGRESQL_AUTH_*` settings, `PG*` variables, the credential's variables. */
  env: Record<string, string | undefined>;
  /**
   * Registers the listener for the process being asked to stop (SIGTERM/SIGINT), called for
   * every such signal: `proxy` drains on the first and stops at once on the second; `exec`
   * forwards each to its command.
   */
  onStop: (listener: (signal: string) => void) => void;
  /** Printed by --version. */
  version?: string;
}

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
      case "exec":
        return await execCommand(rest, io);
      case "wait":
        return await waitCommand(rest, io);
      case "shutdown":
        return await shutdownCommand(rest, io);
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
        io.stdout(overviewHelp());
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      const about = isCommand(command) ? ` ${command}` : "";
      io.stderr(`azure-postgresql-auth: ${(error as Error).message}\nRun azure-postgresql-auth${about} --help.\n`);
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

function isCommand(command: string | undefined): command is CommandName {
  return ["proxy", "exec", "wait", "shutdown", "token", "whoami", "check"].includes(command ?? "");
}

/** Resolves a command's options; prints its help and returns undefined for --help. */
function options(command: CommandName, args: string[], io: CliIo) {
  const resolved = resolveOptions(command, args, io.env);
  if (resolved.help) {
    io.stdout(commandHelp(command));
    return undefined;
  }
  return resolved.values as Record<string, string | undefined> & Record<string, string | boolean | undefined>;
}

async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  const values = options("token", args, io);
  if (!values) return EXIT.ok;
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
  const values = options("whoami", args, io);
  if (!values) return EXIT.ok;
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

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const values = options("check", args, io);
  if (!values) return EXIT.ok;
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
  return result.ok ? EXIT.ok : failed ? CHECK_STEP_EXIT[failed.step] : EXIT.failed;
}
