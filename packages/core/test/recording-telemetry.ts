// Recording stand-ins for an OpenTelemetry SDK, through the APIs core uses (no SDK): shared by the telemetry tests.
import type { Instrumenter, TracingContext, TracingSpan } from "@azure/core-tracing";
import type { Attributes, Meter, MeterProvider } from "@opentelemetry/api";

export interface RecordedSpan {
  name: string;
  attributes: Record<string, unknown>;
  status?: string;
  ended: boolean;
}

/** A tracing context backed by a map. */
function mapContext(values: Map<symbol, unknown>): TracingContext {
  return {
    getValue: (key) => values.get(key),
    setValue: (key, value) => mapContext(new Map(values).set(key, value)),
    deleteValue: (key) => {
      const copy = new Map(values);
      copy.delete(key);
      return mapContext(copy);
    },
  };
}

/** An Azure core-tracing instrumenter that records its spans (what the OpenTelemetry instrumentation receives). */
export function recordingInstrumenter() {
  const spans: RecordedSpan[] = [];
  const instrumenter: Instrumenter = {
    startSpan(name, options) {
      const recorded: RecordedSpan = { name, attributes: { ...options.spanAttributes }, ended: false };
      spans.push(recorded);
      const span: TracingSpan = {
        setAttribute: (key, value) => {
          recorded.attributes[key] = value;
        },
        setStatus: (status) => {
          recorded.status = status.status;
        },
        end: () => {
          recorded.ended = true;
        },
        recordException: () => undefined,
        isRecording: () => true,
      };
      return { span, tracingContext: mapContext(new Map()) };
    },
    withContext: (_context, callback, ...args) => callback(...args),
    parseTraceparentHeader: () => undefined,
    createRequestHeaders: () => ({}),
  };
  return { instrumenter, spans };
}

/** A meter provider that records every measurement (no SDK: the API's own interfaces). */
export function recordingMeterProvider() {
  const measurements: Array<{ name: string; value: number; attributes: Attributes | undefined }> = [];
  const instrument = (name: string) => {
    const record = (value: number, attributes?: Attributes) => measurements.push({ name, value, attributes });
    return { add: record, record };
  };
  const meter = {
    createCounter: instrument,
    createHistogram: instrument,
  } as unknown as Meter;
  const provider: MeterProvider = { getMeter: () => meter };
  return { provider, measurements };
}
