// The OpenTelemetry SDK of this program, registered before anything loads @azure/core-tracing
// (main.ts imports this file first): a tracer provider and a meter provider that print to the
// console, and the Azure SDK instrumentation that sends @azure/core-tracing's spans (ours and
// @azure/identity's) to OpenTelemetry. In production, replace the console exporters by OTLP ones, or
// all of this by `useAzureMonitor()` from @azure/monitor-opentelemetry.
import { createAzureSdkInstrumentation } from "@azure/opentelemetry-instrumentation-azure-sdk";
import { metrics, trace } from "@opentelemetry/api";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
const meterProvider = new MeterProvider({
  // Printed once a minute, and at shutdown.
  readers: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 60_000 })],
});
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);
registerInstrumentations({ instrumentations: [createAzureSdkInstrumentation()] });

/** Prints what is left (the metrics) and stops the SDK. */
export async function shutdownTelemetry(): Promise<void> {
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
}
