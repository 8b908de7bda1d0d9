// Starts the real `azure-postgresql-auth` bin (dist/esm/cli.js) as a child process against an
// emulator, and reads its JSON log lines. Used by the integration tests.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, type Emulator } from "@azure/postgresql-auth-emulator";

export const CLI = fileURLToPath(new URL("../../dist/esm/cli.js", import.meta.url));

/** The environment a process on an Azure host with a managed identity would have, from the emulator. */
export function managedIdentityEnv(emu: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES.includes(k) && !k.startsWith("PG")) env[k] = v;
  }
  env.IDENTITY_ENDPOINT = emu.env.IDENTITY_ENDPOINT!;
  env.IDENTITY_HEADER = emu.env.IDENTITY_HEADER!;
  delete env.NODE_EXTRA_CA_CERTS; // the proxy must verify with --ca
  return { ...env, ...extra };
}

/** A running `azure-postgresql-auth` process whose stderr carries JSON log lines. */
export interface CliProcess {
  child: ChildProcess;
  /** Log lines so far (JSON objects). */
  logs: Array<Record<string, unknown>>;
  /** All of stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export interface ProxyProcess extends CliProcess {
  port: number;
  httpPort?: number;
}

/** Starts the bin with `args` (give --json-logs to get log lines) and collects its output. */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  let pending = "";
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    predicate: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  const onLine = (line: string) => {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(parsed);
    for (const w of [...waiters]) {
      if (w.predicate(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  };
  child.stdout!.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr!.on("data", (c: Buffer) => {
    text += c.toString();
    pending += c.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    lines.forEach(onLine);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLog = (predicate: (l: Record<string, unknown>) => boolean) => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ predicate, resolve });
      void exited.then((code) =>
        reject(new Error(`the process exited with ${code} before the expected log line:\n${text}`)),
      );
    });
  };
  return {
    child,
    logs,
    output: () => text,
    exited,
    waitForLog,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

export async function startProxyProcess(
  emu: Emulator,
  args: string[] = [],
  env: Record<string, string> = managedIdentityEnv(emu),
): Promise<ProxyProcess> {
  const cli = spawnCli(
    [
      "proxy",
      "--host",
      emu.host,
      "--port",
      String(emu.port),
      "--ca",
      emu.caFile,
      "--listen-port",
      "0",
      "--json-logs",
      ...args,
    ],
    env,
  );
  const listening = await cli.waitForLog((l) => l.event === "listening");
  const port = Number(String(listening.tcp).split(":").pop());
  let httpPort: number | undefined;
  if (args.includes("--http-port")) {
    const http = await cli.waitForLog((l) => l.event === "http_listening");
    httpPort = Number(String(http.address).split(":").pop());
  }
  return { ...cli, port, ...(httpPort !== undefined && { httpPort }) };
}

/** Every token the emulator could have issued in a test shows up as "eyJ" + base64url header. */
export function containsJwt(text: string): boolean {
  return /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./.test(text);
}
