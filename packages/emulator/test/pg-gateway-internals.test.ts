import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PostgresConnection } from "pg-gateway";
import { describe, expect, it } from "vitest";

// src/tls-front.ts subclasses pg-gateway's PostgresConnection and overrides upgradeToTls using
// internals of version 0.2.4. When pg-gateway changes, these checks fail first: re-read
// FrontConnection against the new version before changing the pin.
const require = createRequire(import.meta.url);
// pg-gateway's exports hide package.json: go up from its entry (dist/index.js).
const packageDir = dirname(dirname(require.resolve("pg-gateway")));
const source = readFileSync(join(packageDir, "dist", "index.mjs"), "utf8");

describe("pg-gateway internals the TLS front relies on", () => {
  it("is exactly version 0.2.4", () => {
    expect(JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).version).toBe("0.2.4");
  });

  it("has the methods FrontConnection calls or overrides", () => {
    for (const method of ["upgradeToTls", "createSocketHandlers", "removeSocketHandlers", "detach", "sendError"]) {
      expect(typeof (PostgresConnection.prototype as unknown as Record<string, unknown>)[method], method).toBe(
        "function",
      );
    }
  });

  it("answers an SSLRequest by calling this.upgradeToTls and keeps socket, secureSocket, tlsInfo and hasStarted as fields", () => {
    // dist/index.mjs is minified: match the shapes, not the formatting.
    expect(source).toMatch(/this\.upgradeToTls\(this\.options\.tls\)/);
    for (const field of ["socket", "secureSocket", "tlsInfo", "hasStarted"])
      expect(source, field).toMatch(new RegExp(`this\\.${field}\\s*=`));
    expect(source).toMatch(/createSocketHandlers\((\w+)\)\{\1\.on\("data",this\.boundDataHandler\)\}/);
    expect(source).toMatch(/removeSocketHandlers\((\w+)\)\{\1\.off\("data",this\.boundDataHandler\)\}/);
  });
});
