import type { CheckStep } from "./check-connection.js";

/**
 * Exit codes a supervisor or script can act on. `exec` exits with its command's code instead
 * (128 + the signal's number when a signal ended it), unless the proxy could not start.
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

/** The exit code of a failed `check` step (also `proxy --run-connection-test`). */
export const CHECK_STEP_EXIT: Record<CheckStep, number> = {
  dns: EXIT.dns,
  tcp: EXIT.tcp,
  tls: EXIT.tls,
  token: EXIT.token,
  login: EXIT.login,
  query: EXIT.query,
};
