import { createTracingClient, type TracingClient } from "@azure/core-tracing";
import { packageName, packageVersion } from "./package-version.js";

/**
 * The tracing client of this package (Azure SDK conventions, `Microsoft.DBforPostgreSQL` namespace).
 * Without an OpenTelemetry SDK and `@azure/opentelemetry-instrumentation-azure-sdk` it does nothing.
 */
export const tracingClient: TracingClient = createTracingClient({
  namespace: "Microsoft.DBforPostgreSQL",
  packageName,
  packageVersion,
});
