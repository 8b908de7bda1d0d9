// @azure/logger keeps its log level per installed copy: an exact pin makes a second copy likely, and
// then the application's own setLogLevel never reaches our logger. Runtime dependencies use caret
// ranges so package managers can share the application's copy.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
};

describe("package.json", () => {
  it("runtime dependencies are caret ranges, not exact pins", () => {
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      "@azure/core-auth",
      "@azure/core-tracing",
      "@azure/logger",
      "@opentelemetry/api",
    ]);
    for (const [name, range] of Object.entries(manifest.dependencies)) expect(range, name).toMatch(/^\^1\.\d+\.\d+$/);
  });
});
