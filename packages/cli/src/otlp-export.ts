/**
 * The proxy's OpenTelemetry export: with `--otlp [URL]`, or the standard `OTEL_EXPORTER_OTLP_*`
 * endpoint variables, the CLI registers an OpenTelemetry SDK that sends metrics and traces over
 * OTLP/HTTP (JSON). The SDK is loaded only then.
 */

import { redactTokens } from "@azure/postgresql-auth-core/internal";
import type { Meter } from "@opentelemetry/api";
import type { ProxyLogger } from "./proxy-logger.js";
import { UsageError } from "./usage-error.js";

/** A running export: the meter the proxy counts into, and the flush at exit. */
export interface OtlpExport {
  /** The meter for the proxy's metrics (the core's token metrics use the global one, registered too). */
  meter: Meter;
  /** Sends what is left and stops (at most `timeoutMs`, default 5 s: an unreachable collector must not hold the exit). */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** What decides the export: the `--otlp` value (`""` for the flag alone) and the environment. */
export interface OtlpSettings {
  /** `--otlp`'s value: undefined when not given, `""` for the flag alone, else the endpoint URL. */
  flag: string | undefined;
  env: Record<string, string | undefined>;
  /** The CLI's version, for `service.version`. */
  version?: string | undefined;
  logger: ProxyLogger;
}

const endpointVariables = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
] as const;

/**
 * Starts the export when `--otlp` is given or an OTLP endpoint variable is set (and
 * `OTEL_SDK_DISABLED` is not `true`); resolves to `undefined` otherwise. `OTEL_TRACES_EXPORTER` or
 * `OTEL_METRICS_EXPORTER` set to `none` turns that signal off. `--otlp URL` is the base endpoint
 * (`URL/v1/traces`, `URL/v1/metrics`) and wins over the variables; otherwise the exporters read
 * the variables themselves (endpoints, `OTEL_EXPORTER_OTLP_HEADERS`, timeouts), default
 * `http://localhost:4318`. `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the resource
 * (default service name `azure-postgresql-auth-proxy`); `OTEL_METRIC_EXPORT_INTERVAL` (ms, default
 * 60000) paces the metrics and `OTEL_BSP_SCHEDULE_DELAY` the spans.
 */
export async function startOtlpExport(settings: OtlpSettings): Promise<OtlpExport | undefined> {
  const { flag, env, logger } = settings;
  const fromEnv = endpointVariables.some((name) => (env[name] ?? "") !== "");
  if (flag === undefined && !fromEnv) return undefined;
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") {
    logger.log("info", "otlp_disabled", { reason: "OTEL_SDK_DISABLED=true" });
    return undefined;
  }
  const base = flag === undefined || flag === "" ? undefined : endpointOf(flag);
  const traces = (env.OTEL_TRACES_EXPORTER ?? "").trim().toLowerCase() !== "none";
  const metricsOn = (env.OTEL_METRICS_EXPORTER ?? "").trim().toLowerCase() !== "none";
  const intervalMs = positiveNumber(env.OTEL_METRIC_EXPORT_INTERVAL, "OTEL_METRIC_EXPORT_INTERVAL") ?? 60_000;
  const exportTimeoutMs = Math.min(
    intervalMs,
    positiveNumber(env.OTEL_METRIC_EXPORT_TIMEOUT, "OTEL_METRIC_EXPORT_TIMEOUT") ?? 30_000,
  );
  for (const name of [
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
  ]) {
    const protocol = env[name];
    if (protocol !== undefined && protocol !== "" && protocol !== "http/json") {
      logger.log("warn", "otlp_protocol", { variable: name, value: protocol, sends: "http/json" });
    }
  }

  const api = await import("@opentelemetry/api");
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = await import(
    "@opentelemetry/resources"
  );
  const { MeterProvider, PeriodicExportingMetricReader } = await import("@opentelemetry/sdk-metrics");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-http");
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");

  // The SDK's own problems (a collector that does not answer) become log lines, never a crash.
  api.diag.setLogger(
    {
      error: (message) => logger.log("warn", "otlp_error", { error: redactTokens(String(message)) }),
      warn: (message) => logger.log("warn", "otlp_warning", { error: redactTokens(String(message)) }),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    api.DiagLogLevel.WARN,
  );
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        "service.name": "azure-postgresql-auth-proxy",
        ...(settings.version !== undefined && { "service.version": settings.version }),
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));

  const meterProvider = new MeterProvider({
    resource,
    readers: metricsOn
      ? [
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter(base === undefined ? {} : { url: `${base}/v1/metrics` }),
            exportIntervalMillis: intervalMs,
            exportTimeoutMillis: exportTimeoutMs,
          }),
        ]
      : [],
  });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: traces
      ? [new BatchSpanProcessor(new OTLPTraceExporter(base === undefined ? {} : { url: `${base}/v1/traces` }))]
      : [],
  });
  api.metrics.setGlobalMeterProvider(meterProvider);
  api.trace.setGlobalTracerProvider(tracerProvider);
  logger.log("info", "otlp_export", {
    endpoint: (base === undefined ? firstSet(env) : safeUrl(base)) ?? "http://localhost:4318",
    traces,
    metrics: metricsOn,
    metricIntervalMs: intervalMs,
  });

  let stopped: Promise<void> | undefined;
  return {
    meter: meterProvider.getMeter("@azure/postgresql-auth-cli", settings.version),
    shutdown(timeoutMs = 5_000) {
      stopped ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const cap = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            logger.log("warn", "otlp_shutdown_timeout", { timeoutMs });
            resolve();
          }, timeoutMs);
        });
        const flush = Promise.allSettled([meterProvider.shutdown(), tracerProvider.shutdown()]).then(() => undefined);
        await Promise.race([flush, cap]);
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

/** `--otlp URL`: an http(s) URL, without a trailing slash. */
function endpointOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--otlp must be an http(s) URL such as http://localhost:4318 (got "${text.slice(0, 100)}")`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--otlp must be an http(s) URL such as http://localhost:4318 (got "${text.slice(0, 100)}")`);
  }
  return url.href.replace(/\/+$/, "");
}

function positiveNumber(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${name} must be a number of milliseconds > 0 (got "${text}")`);
  return n;
}

/** The endpoint variable in force, for the log line. */
function firstSet(env: Record<string, string | undefined>): string | undefined {
  for (const name of endpointVariables) {
    const value = env[name];
    if (value !== undefined && value !== "") return safeUrl(value);
  }
  return undefined;
}

/** A URL for a log line: without user, password or query (where credentials could be). */
function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}
