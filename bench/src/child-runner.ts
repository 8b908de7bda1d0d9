/**
 * Parent side of a child run: forks dist/child.js with the given environment, waits (bounded)
 * for its IPC answer and exit, and turns any failure into an error with the child's stderr.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CHILD_REQUEST_ENV, type ChildReply, type ChildRequest } from "./child-protocol.js";

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
