import { EntraAuthError } from "@azure/postgresql-auth-core";
import { logger, redactTokens } from "@azure/postgresql-auth-core/internal";

/** Distinct failures reported since the last success, at most this many kept. */
const maxRemembered = 16;

/**
 * Reports a failed login of the postgres.js password function where a person looks by default:
 * Node's own warning channel (`process.emitWarning`, printed on stderr unless the application
 * silences warnings), with the `EntraAuthError` code, once per distinct failure until a token is
 * had again, and through the project's logger each time. postgres.js 3.4 cannot carry the error
 * itself: a rejected password function goes unhandled (the process exits), so the login goes on
 * with an empty password and the server's refusal is all the query reports.
 */
export function createPasswordFailureReporter(): { failed(error: unknown): void; succeeded(): void } {
  const reported = new Set<string>();
  return {
    failed(error: unknown): void {
      const code = EntraAuthError.isInstance(error) ? error.code : "TOKEN_ACQUISITION_FAILED";
      const message = EntraAuthError.isInstance(error) ? error.message : redactTokens(String(error));
      const text = `No access token for a new postgres.js connection (${code}): ${message}`;
      logger.warning(`${text} It is tried with an empty password, which the server refuses.`);
      const key = `${code}\n${message}`;
      if (reported.has(key)) return;
      if (reported.size >= maxRemembered) reported.clear();
      reported.add(key);
      process.emitWarning(text, {
        type: "EntraAuthWarning",
        code,
        detail:
          "postgres.js cannot report this error itself, so the connection is tried with an empty password and the " +
          "server refuses it. This warning is shown once per distinct failure (AZURE_LOG_LEVEL=warning logs each one).",
      });
    },
    succeeded(): void {
      reported.clear();
    },
  };
}
