// An application turns our log lines on with its own `@azure/logger` import, as the README says.
// @azure/logger keeps its level per installed copy, so this only works when the application and our
// core resolve to the same copy: core depends on a caret range so package managers can share it.
// A fresh Node process plays the application (this package's own @azure/logger dependency),
// without AZURE_LOG_LEVEL.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { alice, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";

describe("logging", () => {
  it("the application's own setLogLevel turns our log lines on", () => {
    const token = fakeJwt(alice);
    const script = `
      import { realpathSync } from "node:fs";
      import { createRequire } from "node:module";
      import { setLogLevel } from "@azure/logger";
      import { entraTokenProvider } from "@azure/postgresql-auth";
      const app = createRequire(import.meta.url);
      const core = createRequire(app.resolve("@azure/postgresql-auth-core"));
      const same = realpathSync(app.resolve("@azure/logger")) === realpathSync(core.resolve("@azure/logger"));
      const credential = { getToken: async () => ({ token: ${JSON.stringify(token)}, expiresOnTimestamp: Date.now() + 3600e3 }) };
      const password = entraTokenProvider(credential);
      await password({ host: "quiet.postgres.database.azure.com", ssl: true });
      console.error("--- setLogLevel ---");
      setLogLevel("verbose");
      await entraTokenProvider(credential, { scope: "api://loud/.default" })({ host: "loud.postgres.database.azure.com", ssl: true });
      console.log(JSON.stringify({ same }));
    `;
    const env = { ...process.env };
    delete env.AZURE_LOG_LEVEL;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      env,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ same: true });
    const [before, after] = run.stderr.split("--- setLogLevel ---");
    expect(before).not.toMatch(/azure:postgresql-auth/);
    expect(after).toMatch(/azure:postgresql-auth:verbose.*Acquired Entra ID token for scope api:\/\/loud\/\.default/);
    expect(run.stderr).not.toContain(token.split(".")[1]!);
  });

  it("refuses options: null with INVALID_OPTION from both entry points", () => {
    const credential = { getToken: async () => null };
    const sequelize = { beforeConnect: () => undefined };
    return import("../src/index.js").then(({ entraTokenProvider, configureEntraAuthentication }) => {
      expect(() => entraTokenProvider(credential, null as never)).toThrowError(
        expect.objectContaining({ code: "INVALID_OPTION" }),
      );
      expect(() => configureEntraAuthentication(sequelize, credential, null as never)).toThrowError(
        expect.objectContaining({ code: "INVALID_OPTION" }),
      );
    });
  });
});
