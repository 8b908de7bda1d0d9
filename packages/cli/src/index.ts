/**
 * `azure-postgresql-auth`: a local auth proxy that logs any PostgreSQL client in to Azure Database
 * for PostgreSQL with Microsoft Entra ID, plus the `token`, `whoami` and `check` commands. The
 * same pieces are exported for programs that embed them.
 *
 * @packageDocumentation
 */
export { startAuthProxy, type AuthProxy, type AuthProxyOptions } from "./auth-proxy.js";
export {
  checkConnection,
  type CheckConnectionOptions,
  type CheckResult,
  type CheckStep,
  type CheckStepResult,
} from "./check-connection.js";
export {
  describePrincipal,
  type DescribePrincipalOptions,
  type PrincipalDescription,
  type PrincipalKind,
} from "./describe-principal.js";
export { explainRefusal, type RefusalContext, type RefusalExplanation, type RefusalKind } from "./explain-refusal.js";
export { startHealthServer, type HealthServer } from "./health-server.js";
export { createProxyLogger, type ProxyLogger, type ProxyLogLevel } from "./proxy-logger.js";
export { createProxyMetrics, type ProxyMetrics } from "./proxy-metrics.js";
export { EXIT, runCli, type CliIo } from "./run-cli.js";
export { EntraAuthError } from "@azure/postgresql-auth-core";
