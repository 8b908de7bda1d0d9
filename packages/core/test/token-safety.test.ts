// The token must never reach a log line or an error, even at AZURE_LOG_LEVEL=verbose. A fresh
// Node process loads the built package with the variable set, as an application would, and
// walks the success and failure paths; the test then searches everything it printed.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { alice, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";

describe("token safety", () => {
  it("no token in verbose logs, error messages, JSON or inspect output", () => {
    const token = fakeJwt({ ...alice, marker: "do-not-print" });
    const expiredToken = fakeJwt({ upn: "old@contoso.com" });
    const script = `
      import { inspect } from "node:util";
      import * as core from "@azure/postgresql-auth-core";
      import * as internal from "@azure/postgresql-auth-core/internal";
      const token = ${JSON.stringify(token)};
      const expired = ${JSON.stringify(expiredToken)};
      const show = (err) => console.log(err.message, JSON.stringify(err), JSON.stringify(err.cause), inspect(err, { depth: Infinity, showHidden: true }));
      const ok = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600e3 }) };
      const source = core.createEntraTokenSource(ok);
      const got = await source.getAccessToken({ host: "db.postgres.database.azure.com" });
      internal.resolveRoleName(got.token, { env: {} });
      internal.decodeTokenClaims(got.token);
      const failing = [
        { getToken: async () => ({ token: expired, expiresOnTimestamp: Date.now() - 5 }) },
        { getToken: async () => { throw new Error("ManagedIdentityCredential: endpoint unavailable"); } },
        { getToken: async () => null },
        { getToken: async () => ({ token: "", expiresOnTimestamp: 0 }) },
        { getToken: async () => { throw Object.assign(new Error("echoed " + token), { statusCode: 400, body: { token }, cause: new Error("inner " + token) }); } },
      ];
      for (const credential of failing) {
        const onTokenEvent = (event) => console.log(inspect(event, { depth: Infinity, showHidden: true }), JSON.stringify(event));
        await core.createEntraTokenSource(credential, { onTokenEvent }).getAccessToken().catch(show);
      }
      try { internal.resolveRoleName(token.slice(0, 20), { env: {} }); } catch (err) { show(err); }
      console.log("done");
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      env: { ...process.env, AZURE_LOG_LEVEL: "verbose" },
    });
    expect(run.status, run.stderr).toBe(0);
    const output = `${run.stdout}\n${run.stderr}`;
    // The verbose log is really on (so the search below means something).
    expect(run.stderr).toMatch(/azure:postgresql-auth:verbose.*Role name "alice@contoso.com"/);
    expect(run.stderr).toMatch(/Acquired Entra ID token for scope/);
    expect(output).toContain("done");
    expect(output).toContain("TOKEN_EXPIRED");
    expect(output).toContain("endpoint unavailable");
    expect(output).toContain("INVALID_TOKEN");
    expect(output).toContain("echoed [redacted token]"); // the credential's error is there, redacted
    expect(output).toContain("inner [redacted token]");
    for (const secret of [
      token,
      expiredToken,
      token.split(".")[1]!,
      token.split(".")[2]!,
      expiredToken.split(".")[1]!,
    ]) {
      expect(output).not.toContain(secret);
    }
  });
});
