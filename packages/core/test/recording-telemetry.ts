// Recording stand-ins for an OpenTelemetry SDK, through the APIs core uses (no SDK): shared by the telemetry tests.
import type { Instrumenter, TracingContext, TracingSpan } from "@azure/core-tracing";
import type { Attributes, Meter, MeterProvider, ObservableResult } from "@opentelemetry/api";

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
  const gauges: Array<{ name: string; callbacks: Array<(result: ObservableResult) => void> }> = [];
  const instrument = (name: string) => {
    const record = (value: number, attributes?: Attributes) => measurements.push({ name, value, attributes });
    return { add: record, record };
  };
  const observable = (name: string) => {
    const gauge = { name, callbacks: [] as Array<(result: ObservableResult) => void> };
    gauges.push(gauge);
    return {
      addCallback: (callback: (result: ObservableResult) => void) => gauge.callbacks.push(callback),
      removeCallback: () => undefined,
    };
  };
  const meter = {
    createCounter: instrument,
    createHistogram: instrument,
    createObservableGauge: observable,
  } as unknown as Meter;
  const provider: MeterProvider = { getMeter: () => meter };
  /** Runs the callbacks of the observable gauge `name`, as an SDK's collection would, and returns what they observed. */
  const collect = (name: string) => {
    const observations: Array<{ value: number; attributes: Attributes | undefined }> = [];
    const result: ObservableResult = { observe: (value, attributes) => observations.push({ value, attributes }) };
    for (const gauge of gauges.filter((g) => g.name === name)) for (const callback of gauge.callbacks) callback(result);
    return observations;
  };
  return { provider, measurements, collect };
}
