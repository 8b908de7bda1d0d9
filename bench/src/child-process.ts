/**
 * Child processes, parent side: what the parent asks a child (IPC protocol), the child's
 * environment, and the bounded run of one child (dist/child.js).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES } from "@azure/postgresql-auth-emulator";
import type { ContenderName } from "./contenders.js";

export const CHILD_REQUEST_ENV = "BENCH_CHILD_REQUEST";

export interface ChildRequest {
  scenario: string;
  contender: ContenderName;
  params: unknown;
}

export type ChildReply = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * The environment of a child process: the parent's, without anything that would steer
 * @azure/identity away from the emulator (the emulator's one list), a password or a log level,
 * plus the emulator's variables and per-run extras.
 */
export function childEnv(emulatorEnv: Record<string, string>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [...AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, "PGPASSWORD", "AZURE_LOG_LEVEL"]) delete env[key];
  return { ...env, ...emulatorEnv, ...extra };
}

/**
 * Parent side of a child run: forks dist/child.js with the given environment, waits (bounded)
 * for its IPC answer and exit, and turns any failure into an error with the child's stderr.
 */

const childPath = fileURLToPath(new URL("./child.js", import.meta.url));
const keepChars = 4000;

export function runChild<T>(request: ChildRequest, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(childPath, [], {
      env: { ...env, [CHILD_REQUEST_ENV]: JSON.stringify(request) },
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let reply: ChildReply | undefined;
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-keepChars);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("message", (message) => {
      reply = message as ChildReply;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const name = `${request.scenario}/${request.contender}`;
      if (reply?.ok === true && !timedOut) return resolve(reply.result as T);
      const why = timedOut
        ? `timed out after ${timeoutMs} ms`
        : reply?.ok === false
          ? reply.error
          : `exited with ${code ?? signal} without an answer`;
      reject(new Error(`child ${name} failed: ${why}${output ? `\n--- child output ---\n${output}` : ""}`));
    });
  });
}
