// The one table of bad inputs: what goes in, which error code comes out, when (at set-up, or at the
// first connection), that the message names the fix, and that no token shows anywhere in it.
import { inspect } from "node:util";
import { alice, fakeCredential, fakeJwt, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";
import { getEntraToken } from "../src/get-entra-token.js";
import { createEntraLogin, createEntraTokenSource, EntraAuthError, type EntraAuthErrorCode } from "../src/index.js";
import { assertRoleNameOptions, resolveRoleName } from "../src/resolve-role-name.js";
import { resolveScopes } from "../src/resolve-scopes.js";

const token = fakeJwt({ ...alice, marker: "bad-inputs" });
const good = fakeCredential(() => tokenFor(alice));
const answering = (answer: () => unknown) => fakeCredential(answer as never);

type When = "set-up" | "first connection";
interface Row {
  input: string;
  /** Builds the source (set-up) and asks for a token (first connection). */
  run: () => { setUp: () => { getAccessToken(): Promise<unknown> } };
  code: EntraAuthErrorCode;
  when: When;
  fix: RegExp;
}

const source = (credential: unknown, options?: unknown) => ({
  setUp: () => createEntraTokenSource(credential as never, options as never),
});
const option = (options: unknown) => source(good, options);
const timeoutFix = /timeoutMs option must be a number of milliseconds above 0 and at most 2147483647/;
const cacheNumberFix = /option must be a number of milliseconds from 0 to 2147483647/;

const rows: Row[] = [
  {
    input: "credential: undefined",
    run: () => source(undefined),
    code: "CREDENTIAL_REQUIRED",
    when: "set-up",
    fix: /Pass a TokenCredential.*DefaultAzureCredential/,
  },
  {
    input: "credential: an object without getToken",
    run: () => source({ token }),
    code: "CREDENTIAL_REQUIRED",
    when: "set-up",
    fix: /Pass a TokenCredential/,
  },
  {
    input: "credential: a token string",
    run: () => source(token),
    code: "CREDENTIAL_REQUIRED",
    when: "set-up",
    fix: /Pass a TokenCredential/,
  },
  {
    input: "options: null",
    run: () => option(null),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /options argument must be an object.*got null/,
  },
  {
    input: "options: a string",
    run: () => option(token),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /options argument must be an object.*got a string/,
  },
  {
    input: 'scope: ""',
    run: () => option({ scope: "" }),
    code: "INVALID_SCOPE",
    when: "set-up",
    fix: /Leave scope unset/,
  },
  {
    input: "scope: [42]",
    run: () => option({ scope: [42] }),
    code: "INVALID_SCOPE",
    when: "set-up",
    fix: /non-empty string or array of strings/,
  },
  {
    input: "host: 5432",
    run: () => option({ host: 5432 }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /host option must be a non-empty string.*got the number 5432/,
  },
  {
    input: "tenantId: 72",
    run: () => option({ tenantId: 72 }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /tenantId option must be a non-empty string.*got the number 72/,
  },
  {
    input: 'tenantId: ""',
    run: () => option({ tenantId: "" }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /tenantId option must be a non-empty string/,
  },
  {
    input: "timeoutMs: NaN",
    run: () => option({ timeoutMs: Number.NaN }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: timeoutFix,
  },
  {
    input: "timeoutMs: Infinity",
    run: () => option({ timeoutMs: Infinity }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: timeoutFix,
  },
  {
    input: "timeoutMs: -1",
    run: () => option({ timeoutMs: -1 }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: timeoutFix,
  },
  {
    input: "timeoutMs: 0",
    run: () => option({ timeoutMs: 0 }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: timeoutFix,
  },
  {
    input: "timeoutMs: 2**31",
    run: () => option({ timeoutMs: 2 ** 31 }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: timeoutFix,
  },
  {
    input: 'timeoutMs: "5s"',
    run: () => option({ timeoutMs: "5s" }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: timeoutFix,
  },
  {
    input: 'onTokenEvent: "log"',
    run: () => option({ onTokenEvent: "log" }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /onTokenEvent option must be a function/,
  },
  {
    input: "cache: true",
    run: () => option({ cache: true }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /cache option must be false \(no caching\) or an object/,
  },
  {
    input: "cache: null",
    run: () => option({ cache: null }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /cache option must be false/,
  },
  {
    input: "cache: a token string",
    run: () => option({ cache: token }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /cache option must be false.*got a string/,
  },
  {
    input: "cache: { ttl: 5 }",
    run: () => option({ cache: { ttl: 5 } }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /unknown setting "ttl"; the settings are refreshBeforeExpiryMs/,
  },
  {
    input: "cache.refreshBeforeExpiryMs: -1",
    run: () => option({ cache: { refreshBeforeExpiryMs: -1 } }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: cacheNumberFix,
  },
  {
    input: "cache.expiryMarginMs: NaN",
    run: () => option({ cache: { expiryMarginMs: Number.NaN } }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: cacheNumberFix,
  },
  {
    input: 'cache.retryMaxMs: "30s"',
    run: () => option({ cache: { retryMaxMs: "30s" } }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: cacheNumberFix,
  },
  {
    input: "cache.retryInitialMs: 2**40",
    run: () => option({ cache: { retryInitialMs: 2 ** 40 } }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: cacheNumberFix,
  },
  {
    input: "cache.retryInitialMs above retryMaxMs",
    run: () => option({ cache: { retryInitialMs: 5000, retryMaxMs: 1000 } }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /retryInitialMs option \(5000\) must not exceed cache.retryMaxMs/,
  },
  {
    input: "getEntraToken tenantId: 72",
    run: () => direct(() => getEntraToken(good, ["s/.default"], { tenantId: 72 as never })),
    code: "INVALID_OPTION",
    when: "first connection",
    fix: /tenantId option must be a non-empty string/,
  },
  {
    input: 'username: ""',
    run: () => ({
      setUp: () => {
        assertRoleNameOptions({ username: "" });
        return { getAccessToken: () => Promise.resolve() };
      },
    }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /username option must be a non-empty string \(the PostgreSQL role name/,
  },
  {
    input: "role name options: null",
    run: () => ({
      setUp: () => {
        assertRoleNameOptions(null as never);
        return { getAccessToken: () => Promise.resolve() };
      },
    }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /options argument must be an object/,
  },
  {
    input: "resolveScopes options: null",
    run: () => ({
      setUp: () => {
        resolveScopes(null as never);
        return { getAccessToken: () => Promise.resolve() };
      },
    }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /options argument must be an object/,
  },
  {
    input: "resolveRoleName env: a string",
    run: () => direct(async () => resolveRoleName(token, { env: "PGUSER=x" as never })),
    code: "INVALID_OPTION",
    when: "first connection",
    fix: /env option must be an object of environment variables/,
  },
  {
    input: "getAccessToken abortSignal: a string",
    run: () => direct(() => createEntraTokenSource(good).getAccessToken({ abortSignal: "stop" as never })),
    code: "INVALID_OPTION",
    when: "first connection",
    fix: /abortSignal option must be an AbortSignal/,
  },
  {
    input: "credential returns null",
    run: () => source(answering(() => null)),
    code: "TOKEN_ACQUISITION_FAILED",
    when: "first connection",
    fix: /returned null\. Check that the credential is signed in/,
  },
  {
    input: "credential throws with the token in its message",
    run: () =>
      source(
        answering(() => {
          throw new Error(`bad answer ${token}`);
        }),
      ),
    code: "TOKEN_ACQUISITION_FAILED",
    when: "first connection",
    fix: /\[redacted token\]\. Check that the credential can sign in here/,
  },
  {
    input: "credential returns an empty token",
    run: () => source(answering(() => ({ token: "", expiresOnTimestamp: Date.now() + 60_000 }))),
    code: "INVALID_TOKEN",
    when: "first connection",
    fix: /getToken must resolve to \{ token: string/,
  },
  {
    input: "credential returns an expired token",
    run: () => source(answering(() => ({ token, expiresOnTimestamp: Date.now() - 1 }))),
    code: "TOKEN_EXPIRED",
    when: "first connection",
    fix: /Check the machine's clock/,
  },
  {
    input: "expiresOnTimestamp in seconds, no exp claim",
    run: () => source(answering(() => ({ token, expiresOnTimestamp: Math.floor(Date.now() / 1000) + 3600 }))),
    code: "INVALID_TOKEN",
    when: "first connection",
    fix: /looks like seconds since the epoch, not milliseconds.*must be milliseconds since the epoch/,
  },
  {
    input: "credential hangs past timeoutMs",
    run: () =>
      source(
        answering(() => new Promise(() => undefined)),
        { timeoutMs: 20 },
      ),
    code: "TOKEN_ACQUISITION_TIMEOUT",
    when: "first connection",
    fix: /raise the timeoutMs option/,
  },
  {
    input: "createEntraLogin: a token where the username belongs",
    run: () => login({ username: 42 }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /username option must be a non-empty string/,
  },
  {
    input: "createEntraLogin: env not an object",
    run: () => login({ env: token }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /env option must be an object of environment variables/,
  },
  {
    input: "createEntraLogin: sslmode not a mode",
    run: () => login({ sslmode: token }),
    code: "INVALID_OPTION",
    when: "set-up",
    fix: /sslmode option must be one of disable, allow, prefer, require, verify-ca, verify-full, no-verify/,
  },
  {
    input: "createEntraLogin: no host anywhere",
    run: () => login({ env: {} }),
    code: "INVALID_OPTION",
    when: "first connection",
    fix: /Set the host option \(or PGHOST\)/,
  },
  {
    input: "createEntraLogin: PGSSLMODE=disable to an Azure host",
    run: () => login({ host: "db.postgres.database.azure.com", env: { PGSSLMODE: "disable" } }),
    code: "INSECURE_CONNECTION",
    when: "first connection",
    fix: /requires TLS: set the driver's ssl to \{ rejectUnauthorized: true \}/,
  },
  {
    input: "createEntraLogin: rejectUnauthorized: false to an Azure host",
    run: () => ({
      setUp: () => {
        const policy = createEntraLogin(good, { host: "db.postgres.database.azure.com" });
        return { getAccessToken: () => policy.login({ tls: { ssl: { rejectUnauthorized: false } } }) };
      },
    }),
    code: "INSECURE_CONNECTION",
    when: "first connection",
    fix: /remove rejectUnauthorized: false.*allowUnverifiedTls/,
  },
];

/** The login policy: set-up is createEntraLogin, the "connection" a login with no connection settings. */
function login(options: unknown) {
  return {
    setUp: () => {
      const policy = createEntraLogin(good, options as never);
      return { getAccessToken: () => policy.login() };
    },
  };
}

/** For a row whose function has no separate set-up step: the call is the "connection". */
function direct(call: () => Promise<unknown>) {
  return { setUp: () => ({ getAccessToken: call }) };
}

describe("bad inputs", () => {
  it.each(rows.map((row) => [row.input, row] as const))("%s", async (_input, row) => {
    let when: When | undefined;
    let error: unknown;
    const built = row.run();
    let tokenSource: { getAccessToken(): Promise<unknown> } | undefined;
    try {
      tokenSource = built.setUp();
    } catch (e) {
      when = "set-up";
      error = e;
    }
    if (tokenSource !== undefined) {
      try {
        await tokenSource.getAccessToken();
      } catch (e) {
        when = "first connection";
        error = e;
      }
    }
    expect(EntraAuthError.isInstance(error), String(error)).toBe(true);
    const err = error as EntraAuthError;
    expect({ code: err.code, when }).toEqual({ code: row.code, when: row.when });
    expect(err.message).toMatch(row.fix);
    expect(err.message).not.toMatch(/\.\.( |$)/);
    for (const shown of [
      err.message,
      String(err.stack),
      JSON.stringify(err),
      inspect(err, { depth: Infinity, showHidden: true }),
    ]) {
      expect(shown.includes(token)).toBe(false);
      expect(shown.includes(token.split(".")[1]!)).toBe(false);
    }
  });
});
