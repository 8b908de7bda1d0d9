import { type AzureLogger, createClientLogger } from "@azure/logger";

/**
 * The `@azure/logger` logger of this project (namespace `azure:postgresql-auth`).
 * Turn it on with `AZURE_LOG_LEVEL=verbose` (or `info`, `warning`, `error`) or with
 * `setLogLevel` from `@azure/logger`. It never logs an access token.
 *
 * @example
 * ```ts
 * import { setLogLevel } from "@azure/logger";
 * setLogLevel("verbose"); // role name decisions, token expiry times, cache activity
 * ```
 *
 * @internal
 */
export const logger: AzureLogger = createClientLogger("postgresql-auth");
