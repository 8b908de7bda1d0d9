import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Narrator } from "./narrator.js";

/** The example programs, run as their own processes, exactly as a user would run them. */
export const examples = {
  pg: fileURLToPath(new URL("../../pg/dist/main.js", import.meta.url)),
  sequelize: fileURLToPath(new URL("../../sequelize/dist/main.js", import.meta.url)),
};

/**
 * Runs an example with `env` and AZURE_LOG_LEVEL=verbose, and narrates its output plus this
 * project's own log lines (`azure:postgresql-auth`), which say how the role name was chosen.
 * Other libraries' log lines are left out. Resolves to the exit code.
 */
export function runExample(narrator: Narrator, program: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [program],
      { env: { ...env, AZURE_LOG_LEVEL: "verbose" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        for (const line of stderr.split("\n")) {
          const ours = /^azure:postgresql-auth:\w+ (.*)$/.exec(line);
          if (ours) narrator.say(`log: ${ours[1]}`);
        }
        for (const line of stdout.split("\n").filter(Boolean)) narrator.say(line);
        if (error) {
          for (const line of stderr.split("\n").filter((l) => l && !l.startsWith("azure:")))
            narrator.say(`stderr: ${line}`);
        }
        resolve(error ? (typeof error.code === "number" ? error.code : 1) : 0);
      },
    );
  });
}
