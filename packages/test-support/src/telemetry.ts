/**
 * A real OpenTelemetry SDK (traces and metrics) kept in memory, for tests of what the packages emit.
 * Spans from `@azure/core-tracing` reach it through `@azure/opentelemetry-instrumentation-azure-sdk`.
 */
import * as coreTracing from "@azure/core-tracing";
import { AzureSdkInstrumentation } from "@azure/opentelemetry-instrumentation-azure-sdk";
import { type Attributes, metrics, trace } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** One data point of a collected metric: its attributes and its value (a number, or a histogram's count and sum). */
export interface CollectedPoint {
  attributes: Attributes;
  value: number | { count: number; sum: number | undefined };
}

/** A metric as collected by the in-memory SDK. */
export interface CollectedMetric {
  name: string;
  unit: string;
  points: CollectedPoint[];
}

/** The in-memory SDK started by {@link startInMemoryTelemetry}. */
export interface InMemoryTelemetry {
  /** The finished spans so far. */
  spans(): ReadableSpan[];
  /** Collects every metric now (observable gauges are read at this point). */
  collect(): Promise<CollectedMetric[]>;
  /** Unregisters the SDK (global providers and the Azure SDK instrumenter). */
  stop(): Promise<void>;
}

/** A metric reader that collects only when asked. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** An empty tracing context (for the no-op instrumenter). */
function emptyContext(values = new Map<symbol, unknown>()): coreTracing.TracingContext {
  return {
    getValue: (key) => values.get(key),
    setValue: (key, value) => emptyContext(new Map(values).set(key, value)),
    deleteValue: (key) => {
      const copy = new Map(values);
      copy.delete(key);
      return emptyContext(copy);
    },
  };
}

/** A no-op Azure core-tracing instrumenter, restored by `stop()`. */
const noInstrumenter: coreTracing.Instrumenter = {
  startSpan: (_name, options) => ({
    span: {
      end: () => undefined,
      isRecording: () => false,
      recordException: () => undefined,
      setAttribute: () => undefined,
      setStatus: () => undefined,
    },
    tracingContext: options.tracingContext ?? emptyContext(),
  }),
  withContext: (_context, callback, ...args) => callback(...args),
  parseTraceparentHeader: () => undefined,
  createRequestHeaders: () => ({}),
};

/**
 * Registers an OpenTelemetry tracer provider and meter provider that keep everything in memory, and
 * points `@azure/core-tracing` at them (what `@azure/opentelemetry-instrumentation-azure-sdk` does
 * when it patches the module).
 */
export function startInMemoryTelemetry(): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  // The instrumentation patches @azure/core-tracing when it is required (a require hook); apply its patch
  // to the module directly instead, without enabling the hook.
  for (const definition of new AzureSdkInstrumentation({ enabled: false }).getModuleDefinitions())
    definition.patch?.(coreTracing);
  return {
    spans: () => exporter.getFinishedSpans(),
    async collect() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.map((metric) => ({
          name: metric.descriptor.name,
          unit: metric.descriptor.unit,
          points: metric.dataPoints.map((point) => ({
            attributes: point.attributes,
            value:
              typeof point.value === "number"
                ? point.value
                : { count: (point.value as { count: number }).count, sum: (point.value as { sum?: number }).sum },
          })),
        })),
      );
    },
    async stop() {
      coreTracing.useInstrumenter(noInstrumenter);
      trace.disable();
      metrics.disable();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
