// One cache per process for every copy of the package with the same cache version: an application
// that loads our ESM build and (through another dependency) our CommonJS build makes one
// credential call, not two. Both built copies are loaded in one fresh Node process.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";

describe("shared token cache", () => {
  it("the ESM and CommonJS builds loaded in one process share one cache", () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const esm = await import("@azure/postgresql-auth-core");
      const cjs = require("@azure/postgresql-auth-core");
      let calls = 0;
      const credential = {
        async getToken() {
          calls += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { token: ${JSON.stringify(fakeJwt({ upn: "alice@contoso.com" }))}, expiresOnTimestamp: Date.now() + 3600e3 };
        },
      };
      await Promise.all([esm.createEntraTokenSource(credential).getAccessToken(), cjs.createEntraTokenSource(credential).getAccessToken()]);
      await cjs.createEntraTokenSource(credential).getAccessToken();
      await esm.createEntraTokenSource(credential).getAccessToken();
      console.log(JSON.stringify({ twoCopies: esm.createEntraTokenSource !== cjs.createEntraTokenSource, calls }));
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
    });
    expect(JSON.parse(output)).toEqual({ twoCopies: true, calls: 1 });
  });
});
