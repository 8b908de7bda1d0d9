/**
 * Every flag of every command in one table, and how a command's values are found: the flag,
 * else the environment variable `AZURE_POSTGRESQL_AUTH_<FLAG>` (upper case, `-` → `_`), else
 * the `--config-file` (JSON, YAML or TOML; keys are flag names). The help text is made from the
 * same table, so every flag shows its environment variable.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type ConfigTable, loadConfigFile } from "./config-file.js";
import { parseServerSpec, type ServerSpec, serverSpecFromConfig } from "./server-spec.js";
import { UsageError } from "./usage-error.js";

/** The commands of the CLI. */
export type CommandName = "proxy" | "exec" | "token" | "whoami" | "check" | "wait" | "shutdown";

/** One flag. */
export interface CliOption {
  name: string;
  type: "string" | "boolean";
  short?: string;
  /** Placeholder of the value in the help, e.g. `PORT`. */
  arg?: string;
  /** The value may be left out (`--otlp` alone, or `--otlp=URL` / `--otlp URL`): then it is `""`. */
  optionalValue?: boolean;
  help: string;
  /** The commands that take it; per command a help text of its own may replace `help`. */
  commands: Partial<Record<CommandName, string | true>>;
}

const ALL_CREDENTIAL = { proxy: true, exec: true, token: true, whoami: true, check: true } as const;
const RUNS_PROXY = { proxy: true, exec: true } as const;

/** The flags, in the order the help shows them. */
export const CLI_OPTIONS: readonly CliOption[] = [
  {
    name: "host",
    type: "string",
    arg: "HOST",
    help: "the Azure server (token, whoami: picks the cloud)",
    commands: {
      ...ALL_CREDENTIAL,
      proxy: "the Azure server, for one server (several: positional SERVER arguments)",
      exec: "the Azure server",
      check: "the Azure server (default: PGHOST)",
    },
  },
  {
    name: "port",
    type: "string",
    arg: "PORT",
    help: "the server's port (default 5432; 6432 is Azure's PgBouncer)",
    commands: { ...RUNS_PROXY, check: "the server's port (default: PGPORT, else 5432)" },
  },
  {
    name: "dbname",
    type: "string",
    short: "d",
    arg: "DB",
    help: "the database: for clients that name none, for --run-connection-test, and exec's PGDATABASE and DATABASE_URL",
    commands: { ...RUNS_PROXY, check: "the database (default: PGDATABASE, else postgres)" },
  },
  {
    name: "credential",
    type: "string",
    arg: "KIND",
    help: "default | cli | azd | managed-identity | workload-identity | environment",
    commands: ALL_CREDENTIAL,
  },
  {
    name: "client-id",
    type: "string",
    arg: "ID",
    help: "client id of a user-assigned managed identity",
    commands: ALL_CREDENTIAL,
  },
  {
    name: "scope",
    type: "string",
    arg: "SCOPE",
    help: "token scope (default: by each server's cloud)",
    commands: ALL_CREDENTIAL,
  },
  { name: "tenant-id", type: "string", arg: "ID", help: "tenant to request tokens from", commands: ALL_CREDENTIAL },
  {
    name: "listen-address",
    type: "string",
    arg: "ADDR",
    help: "default 127.0.0.1 (loopback); anything else only when given, and then with a warning unless clients need a local password",
    commands: { proxy: true },
  },
  {
    name: "listen-port",
    type: "string",
    arg: "PORT",
    help: "default 5432 (0 picks a free port), the next servers the ports after it, unless only a Unix socket is given",
    commands: { proxy: true },
  },
  {
    name: "unix-socket",
    type: "string",
    arg: "PATH",
    help: "also (or only) listen on this Unix socket, created mode 0600 (one server; several: SERVER?unix-socket=PATH)",
    commands: { proxy: true },
  },
  {
    name: "ca",
    type: "string",
    arg: "FILE",
    help: "PEM CA file to verify the servers with (default: Node's CAs)",
    commands: {
      ...RUNS_PROXY,
      check: "PEM CA file to verify the server with (default: PGSSLROOTCERT, else Node's CAs)",
    },
  },
  {
    name: "username",
    type: "string",
    arg: "ROLE",
    help: "always log in as ROLE (default: the client's user name)",
    commands: {
      ...RUNS_PROXY,
      exec: "log in as ROLE (exec's PGUSER; default: the role from the token)",
      whoami: "the role name you want (for the SQL that creates it)",
    },
  },
  {
    name: "role-from-token",
    type: "boolean",
    help: "ignore the client's user name: role from the token (upn, managed identity name, ...)",
    commands: { proxy: true },
  },
  {
    name: "local-password-file",
    type: "string",
    arg: "FILE",
    help: "clients must send this password (or env AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD with the password itself)",
    commands: { ...RUNS_PROXY, exec: "clients must send this password (exec passes it as PGPASSWORD)" },
  },
  {
    name: "max-connections",
    type: "string",
    arg: "N",
    help: "refuse clients beyond N, all servers together (SQLSTATE 53300)",
    commands: RUNS_PROXY,
  },
  {
    name: "startup-timeout",
    type: "string",
    arg: "S",
    help: "a client must finish its startup within S seconds (default 30)",
    commands: RUNS_PROXY,
  },
  {
    name: "min-sigterm-delay",
    type: "string",
    arg: "S",
    help: "on SIGTERM (or /quitquitquit) keep accepting new clients for S seconds (/readiness already 503), for load balancers (default 0)",
    commands: { proxy: true },
  },
  {
    name: "max-sigterm-delay",
    type: "string",
    arg: "S",
    help: "then stop accepting and wait up to S seconds for open connections before closing them (default 0)",
    commands: {
      ...RUNS_PROXY,
      exec: "when the command ends, wait up to S seconds for connections still open (default 0)",
    },
  },
  {
    name: "exit-zero-on-sigterm",
    type: "boolean",
    help: "exit 0 after SIGTERM or /quitquitquit even when connections had to be closed (default: exit 5 then)",
    commands: { proxy: true },
  },
  {
    name: "run-connection-test",
    type: "boolean",
    help: "log in to every server once at start; exit with check's explanation and exit code (10-15) when one fails",
    commands: RUNS_PROXY,
  },
  {
    name: "http-port",
    type: "string",
    arg: "PORT",
    help: "serve /startup /liveness /readiness /metrics (and POST /quitquitquit with --quitquitquit)",
    commands: {
      ...RUNS_PROXY,
      wait: "the proxy's --http-port (required)",
      shutdown: "the proxy's --http-port (required)",
    },
  },
  {
    name: "http-address",
    type: "string",
    arg: "ADDR",
    help: "default 127.0.0.1 (use 0.0.0.0 for Kubernetes probes)",
    commands: {
      ...RUNS_PROXY,
      wait: "the proxy's --http-address (default 127.0.0.1)",
      shutdown: "the proxy's --http-address (default 127.0.0.1)",
    },
  },
  {
    name: "quitquitquit",
    type: "boolean",
    help: "serve POST /quitquitquit on --http-port (from loopback only): the proxy drains as on SIGTERM and exits",
    commands: { proxy: true },
  },
  {
    name: "max",
    type: "string",
    arg: "S",
    help: "give up after S seconds and exit 1 (default 30)",
    commands: { wait: true },
  },
  {
    name: "json-logs",
    type: "boolean",
    help: "one JSON object per log line",
    commands: RUNS_PROXY,
  },
  {
    name: "log-level",
    type: "string",
    arg: "LEVEL",
    help: "debug | info | warn | error (default info; exec: warn)",
    commands: RUNS_PROXY,
  },
  {
    name: "otlp",
    type: "string",
    arg: "[URL]",
    optionalValue: true,
    help: "send metrics and a span per client login over OTLP/HTTP to URL (default: OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318); on by itself when OTEL_EXPORTER_OTLP_ENDPOINT is set",
    commands: RUNS_PROXY,
  },
  {
    name: "json",
    type: "boolean",
    help: "print JSON",
    commands: { token: "print JSON with the expiry", whoami: true, check: true },
  },
  {
    name: "fallback-username",
    type: "string",
    arg: "ROLE",
    help: "the role name when the token names none",
    commands: { whoami: true },
  },
  {
    name: "user",
    type: "string",
    short: "U",
    arg: "ROLE",
    help: "the role to log in as (default: PGUSER, else from the token)",
    commands: { check: true },
  },
  {
    name: "config-file",
    type: "string",
    arg: "FILE",
    help: "read flags from a JSON, YAML or TOML file (keys are flag names; servers: a list)",
    commands: { ...ALL_CREDENTIAL, wait: true, shutdown: true },
  },
];

/** The environment variable of a flag. */
export function envName(flag: string): string {
  return `AZURE_POSTGRESQL_AUTH_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** The environment variable with several servers (whitespace-separated SERVER arguments). */
export const SERVERS_ENV = "AZURE_POSTGRESQL_AUTH_SERVERS";

/** Where a value came from. */
export type ValueSource = "flag" | "env" | "file";

/** A command's values after flags, environment and config file. */
export interface ResolvedOptions {
  /** Strings and booleans by flag name. */
  values: Record<string, string | boolean | undefined>;
  /** Where each value came from. */
  sources: Record<string, ValueSource>;
  /** Positional SERVER arguments (proxy, exec), else the environment's or the file's `servers`. */
  servers?: { specs: ServerSpec[]; source: ValueSource };
  help: boolean;
}

/** The flags a command takes. */
export function optionsOf(command: CommandName): CliOption[] {
  return CLI_OPTIONS.filter((o) => o.commands[command] !== undefined);
}

/**
 * Parses a command's arguments and fills in what they leave out from the environment, then from
 * the config file. Throws {@link UsageError} for a bad value anywhere (naming the flag, variable
 * or file key).
 */
export function resolveOptions(
  command: CommandName,
  args: string[],
  env: Record<string, string | undefined>,
): ResolvedOptions {
  const own = optionsOf(command);
  const config: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h" } };
  for (const o of own) config[o.name] = { type: o.type, ...(o.short !== undefined && { short: o.short }) };
  const takesServers = command === "proxy" || command === "exec";
  const parsed = parseArgs({
    args: withOptionalValues(args, own),
    options: config,
    allowPositionals: takesServers,
    strict: true,
  });
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help) return { values: {}, sources: {}, help: true };

  const values: Record<string, string | boolean | undefined> = {};
  const sources: Record<string, ValueSource> = {};
  const configPath = (flags["config-file"] as string | undefined) ?? nonEmpty(env[envName("config-file")]);
  const file = configPath !== undefined ? loadConfigFile(configPath) : undefined;
  if (file !== undefined) checkFileKeys(file, configPath!);

  for (const o of own) {
    if (flags[o.name] !== undefined) {
      values[o.name] = flags[o.name];
      sources[o.name] = "flag";
      continue;
    }
    const fromEnv = env[envName(o.name)];
    if (fromEnv !== undefined && fromEnv !== "") {
      values[o.name] =
        o.type === "boolean" ? booleanValue(fromEnv, `the environment variable ${envName(o.name)}`) : fromEnv;
      sources[o.name] = "env";
      continue;
    }
    if (file !== undefined && file[o.name] !== undefined) {
      values[o.name] = fileValue(o, file[o.name], configPath!);
      sources[o.name] = "file";
    }
  }

  const result: ResolvedOptions = { values, sources, help: false };
  if (takesServers) {
    const fromEnv = nonEmpty(env[SERVERS_ENV]);
    if (parsed.positionals.length > 0) {
      result.servers = { specs: parsed.positionals.map((p) => parseServerSpec(p)), source: "flag" };
    } else if (fromEnv !== undefined) {
      result.servers = {
        specs: fromEnv
          .split(/\s+/)
          .filter(Boolean)
          .map((p) => parseServerSpec(p, `the environment variable ${SERVERS_ENV}`)),
        source: "env",
      };
    } else if (file?.servers !== undefined) {
      const list = file.servers;
      if (!Array.isArray(list) || list.length === 0) {
        throw new UsageError(`"servers" in ${configPath} must be a non-empty list of servers`);
      }
      result.servers = {
        specs: list.map((s, i) => serverSpecFromConfig(s, `servers[${i}] in ${configPath}`)),
        source: "file",
      };
    }
  }
  return result;
}

/**
 * `--otlp` alone becomes `--otlp=`; `--otlp http://…` takes the URL as its value (a SERVER is never
 * an http URL). Arguments after `--` are left alone.
 */
function withOptionalValues(args: string[], own: CliOption[]): string[] {
  const optional = new Set(own.filter((o) => o.optionalValue).map((o) => `--${o.name}`));
  if (optional.size === 0) return args;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (!optional.has(arg)) {
      out.push(arg);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && /^https?:\/\//i.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(`${arg}=`);
  }
  return out;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Every key of the file must be some command's flag (or `servers`): a typo must not pass silently. */
function checkFileKeys(file: ConfigTable, path: string): void {
  for (const key of Object.keys(file)) {
    if (key === "servers") continue;
    if (!CLI_OPTIONS.some((o) => o.name === key)) {
      throw new UsageError(
        `unknown key "${key}" in the config file ${path}; keys are flag names without the dashes in front (e.g. max-connections) and servers`,
      );
    }
  }
}

function booleanValue(text: string, where: string): boolean {
  const t = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off"].includes(t)) return false;
  throw new UsageError(`${where} must be true or false (got "${text}")`);
}

function fileValue(option: CliOption, value: unknown, path: string): string | boolean {
  const where = `"${option.name}" in the config file ${path}`;
  if (option.optionalValue && value === true) return "";
  if (option.type === "boolean") {
    if (typeof value === "boolean") return value;
    if (typeof value === "string") return booleanValue(value, where);
    throw new UsageError(`${where} must be true or false`);
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new UsageError(`${where} must be a string or a number`);
}
