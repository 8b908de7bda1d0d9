#!/usr/bin/env node
/**
 * `azure-postgresql-emulator` command line: `run`, `start` and `token`.
 *
 * @example
 * ```sh
 * npx azure-postgresql-emulator run -- npm test
 * npx azure-postgresql-emulator start --env-file .emulator-env
 * npx azure-postgresql-emulator token --principal alice@contoso.com
 * ```
 */
import { spawn } from "node:child_process";
import { rename, writeFile } from "node:fs/promises";
import http from "node:http";
import { parseArgs } from "node:util";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES } from "./azure-credential-environment-variables.js";
import { AZ_TOKEN_PATH, PRINCIPALS_PATH } from "./managed-identity-endpoint.js";
import { type Emulator, type EmulatorOptions, startEmulator } from "./start-emulator.js";
import { PUBLIC_CLOUD_RESOURCE } from "./token-issuer.js";

const USAGE = `Usage:
  azure-postgresql-emulator run [options] -- <command...>
      Start the emulator, run <command> with PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE,
      PGSSLROOTCERT, NODE_EXTRA_CA_CERTS, IDENTITY_ENDPOINT and IDENTITY_HEADER set, stop the
      emulator and exit with the command's exit code.
  azure-postgresql-emulator start [options] [--env-file FILE | --write-env FILE]
      Start the emulator in the foreground; print the variables as 'export K=V' lines (or write
      them as K=V lines to FILE) and run until SIGINT/SIGTERM. Node 20 itself reads
      '--env-file FILE' and stops when FILE does not exist yet: create it first, or use --write-env.
  azure-postgresql-emulator token [--principal NAME] [--resource URL]
      Print an access token from the running emulator (needs IDENTITY_ENDPOINT and IDENTITY_HEADER,
      i.e. inside 'run' or with the variables of 'start').

  azure-postgresql-emulator add-principal --kind user|managedIdentity|servicePrincipal|group --name NAME [--member NAME]... [--no-role]
      Add a principal to the running emulator's directory (tokens can be issued for it at once) and,
      unless --no-role, its role; with --no-role, create the role later with pgaadauth_create_principal.
      Prints the principal (ids) as JSON.

Options of run and start:
  --principal NAME         default principal (managed identity endpoint, PGUSER); default orders-api-identity
  --token-lifetime SEC     token lifetime in seconds; default 3600
  --port PORT              fixed port of the TLS front; default a free port
  --pg-bin-dir DIR         use system PostgreSQL binaries (initdb, postgres) from DIR
  --audience URL           accepted audience; default ${PUBLIC_CLOUD_RESOURCE}
  --clock-skew SEC         the server's clock runs SEC seconds ahead of this machine's (negative:
                           behind), so tokens with less than SEC left are refused as expired; default 0
`;

interface Parsed {
  command: string | undefined;
  flags: Map<string, string>;
  rest: string[];
}

const OPTIONS = {
  principal: { type: "string" },
  "token-lifetime": { type: "string" },
  port: { type: "string" },
  "pg-bin-dir": { type: "string" },
  audience: { type: "string" },
  "clock-skew": { type: "string" },
  "env-file": { type: "string" },
  "write-env": { type: "string" },
  resource: { type: "string" },
  kind: { type: "string" },
  name: { type: "string" },
  member: { type: "string", multiple: true },
  "no-role": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses with node:util parseArgs; for `run`, everything from `--` or the first non-option on is the command. */
function parse(argv: string[]): Parsed {
  const [command, ...args] = argv;
  let optionArgs = args;
  let rest: string[] = [];
  const dashDash = args.indexOf("--");
  if (dashDash >= 0) {
    optionArgs = args.slice(0, dashDash);
    rest = args.slice(dashDash + 1);
  } else if (command === "run") {
    const { tokens } = parseArgs({ args, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
    const first = tokens.find((t) => t.kind === "positional");
    if (first) {
      optionArgs = args.slice(0, first.index);
      rest = args.slice(first.index);
    }
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: optionArgs, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const flags = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    flags.set(`--${key}`, Array.isArray(value) ? value.join(",") : String(value));
  }
  return { command, flags, rest };
}

class UsageError extends Error {}

function emulatorOptions(flags: Map<string, string>): EmulatorOptions {
  const options: EmulatorOptions = {};
  const principal = flags.get("--principal");
  if (principal) options.defaultPrincipal = principal;
  const lifetime = flags.get("--token-lifetime");
  if (lifetime !== undefined) {
    const n = Number(lifetime);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError("--token-lifetime must be a positive number of seconds.");
    options.tokenLifetimeSeconds = n;
  }
  const port = flags.get("--port");
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError("--port must be a port number.");
    options.port = n;
  }
  const binDir = flags.get("--pg-bin-dir");
  if (binDir) options.postgresBinDir = binDir;
  const audience = flags.get("--audience");
  if (audience) options.audience = audience;
  const skew = flags.get("--clock-skew");
  if (skew !== undefined) {
    const n = Number(skew);
    if (skew.trim() === "" || !Number.isFinite(n)) throw new UsageError("--clock-skew must be a number of seconds.");
    options.clockSkewSeconds = n;
  }
  return options;
}

function childEnv(emu: Emulator): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete env[name];
  return Object.assign(env, emu.env);
}

/** Signals received while running; handled so that the emulator always stops cleanly. */
let interrupted: NodeJS.Signals | undefined;
const signalListeners = new Set<(signal: NodeJS.Signals) => void>();
function installSignalHandlers(): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      interrupted ??= signal;
      for (const listener of signalListeners) listener(signal);
    });
  }
}

const log = (message: string) => process.stderr.write(`[azure-postgresql-emulator] ${message}\n`);

async function runCommand(parsed: Parsed): Promise<number> {
  if (parsed.rest.length === 0) throw new UsageError("run needs a command after --.");
  const started = Date.now();
  const emu = await startEmulator(emulatorOptions(parsed.flags));
  log(`ready in ${Date.now() - started} ms on ${emu.host}:${emu.port} (PGUSER=${emu.env.PGUSER})`);
  if (interrupted) {
    await emu.stop();
    return 128 + signalNumber(interrupted);
  }
  const [file, ...args] = parsed.rest as [string, ...string[]];
  const child = spawn(file, args, { stdio: "inherit", env: childEnv(emu) });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  signalListeners.add(forward);
  const code = await new Promise<number>((resolve) => {
    child.once("error", (error) => {
      log(`could not start ${file}: ${error.message}`);
      resolve(127);
    });
    child.once("exit", (exitCode, signal) => {
      if (exitCode !== null) resolve(exitCode);
      else resolve(128 + (signal ? signalNumber(signal) : 1));
    });
  });
  signalListeners.delete(forward);
  await emu.stop();
  return code;
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return numbers[signal] ?? 1;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function startCommand(parsed: Parsed): Promise<number> {
  const started = Date.now();
  const emu = await startEmulator(emulatorOptions(parsed.flags));
  const envFile = parsed.flags.get("--env-file") ?? parsed.flags.get("--write-env");
  if (envFile) {
    const text = Object.entries(emu.env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    const temp = `${envFile}.${process.pid}.tmp`;
    await writeFile(temp, `${text}\n`, { mode: 0o600 });
    await rename(temp, envFile);
    log(`wrote ${envFile}`);
  } else {
    const lines = Object.entries(emu.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    const unset = AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES.filter((name) => !(name in emu.env));
    lines.unshift(`unset ${unset.join(" ")}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  log(`ready in ${Date.now() - started} ms on ${emu.host}:${emu.port}; stop with Ctrl+C or SIGTERM`);
  if (!interrupted) {
    await new Promise<void>((resolve) => {
      signalListeners.add(() => resolve());
    });
  }
  log("stopping");
  await emu.stop();
  return 0;
}

async function tokenCommand(parsed: Parsed): Promise<number> {
  const endpoint = process.env.IDENTITY_ENDPOINT;
  const secret = process.env.IDENTITY_HEADER;
  if (!endpoint || !secret) {
    throw new UsageError(
      "No running emulator: IDENTITY_ENDPOINT and IDENTITY_HEADER are not set. Use 'token' inside 'run', or with the variables printed by 'start'.",
    );
  }
  const url = new URL(AZ_TOKEN_PATH, endpoint);
  url.searchParams.set("resource", parsed.flags.get("--resource") ?? PUBLIC_CLOUD_RESOURCE);
  const principal = parsed.flags.get("--principal") ?? process.env.PGUSER;
  if (principal) url.searchParams.set("principal", principal);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.get(url, { headers: { "X-IDENTITY-HEADER": secret } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  const parsedBody = JSON.parse(body) as { access_token?: string; error_description?: string };
  if (status !== 200 || !parsedBody.access_token) {
    log(`token request failed (HTTP ${status}): ${parsedBody.error_description ?? "no details"}`);
    return 1;
  }
  process.stdout.write(`${parsedBody.access_token}\n`);
  return 0;
}

const KINDS = ["user", "managedIdentity", "servicePrincipal", "group"] as const;

async function addPrincipalCommand(parsed: Parsed): Promise<number> {
  const endpoint = process.env.IDENTITY_ENDPOINT;
  const secret = process.env.IDENTITY_HEADER;
  if (!endpoint || !secret) {
    throw new UsageError(
      "No running emulator: IDENTITY_ENDPOINT and IDENTITY_HEADER are not set. Use 'add-principal' inside 'run', or with the variables printed by 'start'.",
    );
  }
  const kind = parsed.flags.get("--kind");
  const name = parsed.flags.get("--name");
  if (!kind || !(KINDS as readonly string[]).includes(kind))
    throw new UsageError(`add-principal needs --kind ${KINDS.join("|")}.`);
  if (!name) throw new UsageError("add-principal needs --name NAME.");
  const principal: Record<string, unknown> = { kind, name };
  if (kind === "group") principal.members = parsed.flags.get("--member")?.split(",").filter(Boolean) ?? [];
  const response = await fetch(new URL(PRINCIPALS_PATH, endpoint), {
    method: "POST",
    headers: { "X-IDENTITY-HEADER": secret, "content-type": "application/json" },
    body: JSON.stringify({ principal, createRole: !parsed.flags.has("--no-role") }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    log(`add-principal failed (HTTP ${response.status}): ${String(body.error_description ?? "no details")}`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(body)}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
    if (!parsed.command || parsed.command === "--help" || parsed.command === "-h" || parsed.flags.has("--help")) {
      process.stdout.write(USAGE);
      return parsed.command ? 0 : 2;
    }
    switch (parsed.command) {
      case "run":
        installSignalHandlers();
        return await runCommand(parsed);
      case "start":
        installSignalHandlers();
        return await startCommand(parsed);
      case "token":
        return await tokenCommand(parsed);
      case "add-principal":
        return await addPrincipalCommand(parsed);
      default:
        throw new UsageError(`Unknown command ${parsed.command}.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      log(error.message);
      process.stderr.write(USAGE);
      return 2;
    }
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
