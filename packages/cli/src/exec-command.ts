/**
 * `azure-postgresql-auth exec [proxy options] -- COMMAND [ARGS...]`: starts the proxy on a free
 * loopback port, runs COMMAND with PGHOST, PGPORT, PGSSLMODE=disable, PGUSER, PGDATABASE and
 * DATABASE_URL pointing at it, forwards SIGTERM and SIGINT to it, stops the proxy when it ends
 * and exits with its exit code (128 + the signal's number when a signal ended it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { commandHelp } from "./cli-help.js";
import { resolveOptions } from "./cli-options.js";
import { EXIT } from "./exit-codes.js";
import { launchProxy } from "./launch-proxy.js";
import type { CliIo } from "./run-cli.js";
import { UsageError } from "./usage-error.js";

/** Runs the exec command; resolves with the command's exit code. */
export async function execCommand(args: string[], io: CliIo): Promise<number> {
  const dashes = args.indexOf("--");
  const resolved = resolveOptions("exec", dashes < 0 ? args : args.slice(0, dashes), io.env);
  if (resolved.help) {
    io.stdout(commandHelp("exec"));
    return EXIT.ok;
  }
  const command = dashes < 0 ? [] : args.slice(dashes + 1);
  if (command.length === 0) {
    throw new UsageError(
      "exec needs the command to run after --, e.g. exec --host myserver... -- npx prisma migrate deploy",
    );
  }
  // Take SIGTERM/SIGINT from the start: before the command runs a signal cancels it, after
  // that it is forwarded (registered before spawning, so no signal falls between the two).
  const signals: { child?: ChildProcess; before?: string; onForward?: (signal: string) => void } = {};
  io.onStop((signal) => {
    if (signals.child === undefined) signals.before ??= signal;
    else if (signals.child.exitCode === null && signals.child.signalCode === null) {
      signals.onForward?.(signal);
      signals.child.kill(signal as NodeJS.Signals);
    }
  });
  const launched = await launchProxy(resolved, io, { command: "exec" });
  if (typeof launched === "number") return launched;
  const { proxy, health, logger, drainMs } = launched;
  try {
    launched.markStarted();
    const listener = proxy.servers[0]!;
    const port = listener.tcp!.port;
    const role = await proxy.roleFor();
    const database = listener.database;
    const env: Record<string, string | undefined> = { ...io.env };
    // Settings that would send the client elsewhere, or a password meant for Azure, must not win.
    for (const name of ["PGHOSTADDR", "PGSERVICE", "PGPASSWORD", "PGPASSFILE", "PGSSLCERT", "PGSSLKEY"])
      delete env[name];
    delete env.PGDATABASE;
    Object.assign(env, {
      PGHOST: "127.0.0.1",
      PGPORT: String(port),
      PGSSLMODE: "disable",
      PGUSER: role,
      ...(database !== undefined && { PGDATABASE: database }),
      ...(launched.localPassword !== undefined && { PGPASSWORD: launched.localPassword }),
      DATABASE_URL: databaseUrl(role, port, database, launched.localPassword),
    });
    if (signals.before !== undefined) return 128 + (constants.signals[signals.before as NodeJS.Signals] ?? 0);
    logger.log("info", "exec", { command: command[0], server: listener.server, port, role });
    signals.onForward = (signal) => logger.log("info", "exec_signal", { signal });
    return await runChild(command, env, io, (child) => {
      signals.child = child;
    });
  } finally {
    await proxy.close({ drainMs });
    await health?.close();
    await launched.telemetry?.shutdown();
  }
}

/** `postgresql://ROLE[:local password]@127.0.0.1:PORT/DB?sslmode=disable`. */
function databaseUrl(role: string, port: number, database: string | undefined, password: string | undefined): string {
  const auth = encodeURIComponent(role) + (password !== undefined ? `:${encodeURIComponent(password)}` : "");
  return `postgresql://${auth}@127.0.0.1:${port}/${database !== undefined ? encodeURIComponent(database) : ""}?sslmode=disable`;
}

function runChild(
  command: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  onSpawn: (child: ChildProcess) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: "inherit", env });
    onSpawn(child);
    child.once("error", (error: NodeJS.ErrnoException) => {
      io.stderr(`azure-postgresql-auth exec: cannot run ${command[0]} (${error.code ?? error.message})\n`);
      resolve(error.code === "ENOENT" ? 127 : 126);
    });
    child.once("exit", (code, signal) => {
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
