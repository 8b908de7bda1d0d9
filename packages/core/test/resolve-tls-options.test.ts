import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EntraAuthError, type EntraTlsSettings, resolveTlsOptions } from "../src/index.js";

const azure = "myserver.postgres.database.azure.com";

function failure(run: () => unknown): EntraAuthError {
  try {
    run();
  } catch (err) {
    if (EntraAuthError.isInstance(err)) return err;
    throw err;
  }
  throw new Error("expected an EntraAuthError");
}

describe("resolveTlsOptions", () => {
  it.each([
    { name: "no setting (default verify-full)", settings: {}, env: {} },
    { name: "PGSSLMODE=require (verifies too)", settings: {}, env: { PGSSLMODE: "require" } },
    { name: "PGSSLMODE=verify-full", settings: {}, env: { PGSSLMODE: "VERIFY-FULL " } },
    { name: "sslmode option over PGSSLMODE", settings: { sslmode: "require" }, env: { PGSSLMODE: "disable" } },
    { name: "sslrootcert: system", settings: { sslrootcert: "system" }, env: {} },
  ] as { name: string; settings: EntraTlsSettings; env: Record<string, string> }[])(
    "$name: verifies the certificate and the host name",
    ({ settings, env }) => {
      expect(resolveTlsOptions(settings, azure, env)).toEqual({ rejectUnauthorized: true });
    },
  );

  it("verify-ca checks the chain but not the host name (unless sslrootcert is system)", () => {
    const ssl = resolveTlsOptions({}, azure, { PGSSLMODE: "verify-ca" });
    expect(ssl).toEqual({ rejectUnauthorized: true, checkServerIdentity: expect.any(Function) });
    expect((ssl as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
    expect(resolveTlsOptions({ sslmode: "verify-ca", sslrootcert: "system" }, azure, {})).toEqual({
      rejectUnauthorized: true,
    });
  });

  it("reads the CA file from PGSSLROOTCERT or the sslrootcert option, and names the source it cannot read", () => {
    const file = join(mkdtempSync(join(tmpdir(), "ca-")), "ca.pem");
    writeFileSync(file, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
    expect(resolveTlsOptions({}, azure, { PGSSLROOTCERT: file })).toEqual({
      rejectUnauthorized: true,
      ca: expect.stringContaining("fake"),
    });
    expect(resolveTlsOptions({ sslrootcert: file }, azure, {})).toMatchObject({ ca: expect.stringContaining("fake") });
    expect(resolveTlsOptions({ sslrootcert: "system" }, azure, { PGSSLROOTCERT: file })).toEqual({
      rejectUnauthorized: true,
    });
    const fromEnv = failure(() => resolveTlsOptions({}, azure, { PGSSLROOTCERT: join(file, "missing") }));
    expect(fromEnv).toMatchObject({ code: "INVALID_OPTION", message: expect.stringMatching(/PGSSLROOTCERT/) });
    expect(fromEnv.cause).toBeDefined();
    const fromOption = failure(() => resolveTlsOptions({ sslrootcert: join(file, "missing") }, azure, {}));
    expect(fromOption).toMatchObject({ code: "INVALID_OPTION", message: expect.stringMatching(/sslrootcert option/) });
  });

  it.each(["disable", "allow", "prefer"])("refuses PGSSLMODE=%s with INSECURE_CONNECTION, naming the fix", (mode) => {
    expect(failure(() => resolveTlsOptions({}, azure, { PGSSLMODE: mode }))).toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(/PGSSLMODE.*without TLS.*verify-full.*allowInsecureLoopback only applies/),
    });
    expect(failure(() => resolveTlsOptions({ sslmode: mode as EntraTlsSettings["sslmode"] }, azure, {}))).toMatchObject(
      {
        code: "INSECURE_CONNECTION",
        message: expect.stringMatching(/sslmode option/),
      },
    );
  });

  it.each([
    { hosts: "localhost", mode: "disable", result: false },
    { hosts: "127.0.0.1", mode: "prefer", result: "prefer" },
    { hosts: ["::1", "/var/run/postgresql"], mode: "allow", result: "allow" },
  ])("allows $mode to $hosts only with allowInsecureLoopback", ({ hosts, mode, result }) => {
    const settings = { sslmode: mode as EntraTlsSettings["sslmode"] };
    expect(resolveTlsOptions({ ...settings, allowInsecureLoopback: true }, hosts, {})).toBe(result);
    expect(failure(() => resolveTlsOptions(settings, hosts, {}))).toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringMatching(/set the allowInsecureLoopback option to true/),
    });
  });

  it.each([[azure], [["localhost", azure]], [[]]])(
    "refuses plaintext to %j even with allowInsecureLoopback (not every host is on this machine)",
    (hosts) => {
      expect(
        failure(() => resolveTlsOptions({ sslmode: "disable", allowInsecureLoopback: true }, hosts, {})),
      ).toMatchObject({ code: "INSECURE_CONNECTION" });
    },
  );

  it("refuses an unknown sslmode and a non-boolean allowInsecureLoopback with INVALID_OPTION", () => {
    expect(failure(() => resolveTlsOptions({}, azure, { PGSSLMODE: "bogus" }))).toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/PGSSLMODE environment variable must be one of/),
    });
    expect(failure(() => resolveTlsOptions({ sslmode: "no-verify" as never }, azure, {}))).toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/sslmode option must be one of/),
    });
    expect(failure(() => resolveTlsOptions({ allowInsecureLoopback: "yes" as never }, azure, {}))).toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/allowInsecureLoopback option must be a boolean/),
    });
  });

  it("reads process.env by default", () => {
    const before = process.env.PGSSLMODE;
    process.env.PGSSLMODE = "disable";
    try {
      expect(failure(() => resolveTlsOptions({}, azure))).toMatchObject({ code: "INSECURE_CONNECTION" });
    } finally {
      if (before === undefined) delete process.env.PGSSLMODE;
      else process.env.PGSSLMODE = before;
    }
  });
});
