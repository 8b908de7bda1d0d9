/**
 * `azure-postgresql-auth`: a local auth proxy that logs any PostgreSQL client in to Azure Database
 * for PostgreSQL with Microsoft Entra ID (`proxy`, `exec`, `wait`, `shutdown`), plus the `token`,
 * `whoami` and `check` commands. The same pieces are exported for programs that embed them.
 *
 * @packageDocumentation
 */

export { EntraAuthError } from "@azure/postgresql-auth-core";
export {
  type AuthProxy,
  type AuthProxyListener,
  type AuthProxyOptions,
  type AuthProxyServer,
  startAuthProxy,
} from "./auth-proxy.js";
export {
  type CheckConnectionOptions,
  type CheckResult,
  type CheckStep,
  type CheckStepResult,
  checkConnection,
} from "./check-connection.js";
export {
  type DescribePrincipalOptions,
  describePrincipal,
  type PrincipalDescription,
  type PrincipalKind,
} from "./describe-principal.js";
export { EXIT } from "./exit-codes.js";
export { explainRefusal, type RefusalContext, type RefusalExplanation, type RefusalKind } from "./explain-refusal.js";
export { type HealthServer, type HealthServerOptions, startHealthServer } from "./health-server.js";
export { createProxyLogger, type ProxyLogger, type ProxyLogLevel } from "./proxy-logger.js";
export { createProxyMetrics, type ProxyMetrics, type ProxyMetricsOptions, type ServerBytes } from "./proxy-metrics.js";
export { type CliIo, runCli } from "./run-cli.js";
