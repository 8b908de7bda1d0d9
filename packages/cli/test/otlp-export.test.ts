// When the proxy turns its OpenTelemetry export on, and the mistakes it names. (What it sends is
// tested end to end in test/integration/proxy-otlp.integration.test.ts.)
import { diag, metrics, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { startOtlpExport } from "../src/otlp-export.js";
import type { ProxyLogger } from "../src/proxy-logger.js";
import { UsageError } from "../src/usage-error.js";

const lines: Array<{ event: string; fields: Record<string, unknown> }> = [];
const logger: ProxyLogger = { log: (_level, event, fields = {}) => lines.push({ event, fields }) };

afterEach(() => {
  lines.length = 0;
  trace.disable();
  metrics.disable();
  diag.disable();
});

describe("startOtlpExport", () => {
  it("stays off without --otlp and without an endpoint variable, or with OTEL_SDK_DISABLED=true", async () => {
    expect(await startOtlpExport({ flag: undefined, env: { OTEL_SERVICE_NAME: "x" }, logger })).toBeUndefined();
    const disabled = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_SDK_DISABLED: "true" };
    expect(await startOtlpExport({ flag: "", env: disabled, logger })).toBeUndefined();
    expect(lines.map((l) => l.event)).toEqual(["otlp_disabled"]);
  });

  it("turns on with an endpoint variable; logs the endpoint without credentials, never the headers", async () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://user:secret@127.0.0.1:1/base?key=secret",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=secret",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_TRACES_EXPORTER: "none",
    };
    const exported = await startOtlpExport({ flag: undefined, env, logger });
    try {
      expect(exported).toBeDefined();
      expect(lines.find((l) => l.event === "otlp_export")?.fields).toMatchObject({
        endpoint: "http://127.0.0.1:1/base",
        traces: false,
        metrics: true,
      });
      expect(lines.find((l) => l.event === "otlp_protocol")?.fields).toMatchObject({ sends: "http/json" });
      expect(JSON.stringify(lines)).not.toContain("secret");
    } finally {
      await exported?.shutdown(1_000);
    }
  });

  it("refuses an --otlp that is not an http(s) URL and a bad OTEL_METRIC_EXPORT_INTERVAL", async () => {
    await expect(startOtlpExport({ flag: "collector:4318", env: {}, logger })).rejects.toThrow(UsageError);
    await expect(startOtlpExport({ flag: "", env: { OTEL_METRIC_EXPORT_INTERVAL: "soon" }, logger })).rejects.toThrow(
      /OTEL_METRIC_EXPORT_INTERVAL/,
    );
  });
});
