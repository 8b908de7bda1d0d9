// Nothing reachable from an error or event we produce may contain a token: message, stack, every
// own property, the whole cause chain, util.inspect and JSON.stringify at any depth. The cause
// stays useful: class name, code, statusCode and message with the token replaced.
import { inspect } from "node:util";
import { fakeCredential, fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it, vi } from "vitest";
import { EntraTokenCache } from "../src/entra-token-cache.js";
import { getEntraToken } from "../src/get-entra-token.js";
import { createEntraTokenSource, EntraAuthError, type EntraTokenEvent } from "../src/index.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];

/** Every string reachable from a value: own properties (enumerable or not, symbols too), prototypes' own data excluded. */
function reachableStrings(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === "string") return [value];
  if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if ("value" in descriptor) out.push(...reachableStrings(descriptor.value, seen));
    else if (descriptor.get) out.push(...reachableStrings(descriptor.get.call(value), seen));
  }
  return out;
}

/** A credential error of the worst kind: the token in its message, stack, properties, response and cause chain. */
function leakyError(token: string): Error {
  class AuthenticationError extends Error {
    override name = "AuthenticationError";
    statusCode = 400;
    code = "invalid_grant";
    errorResponse = { error: "invalid_grant", errorDescription: `token ${token}` };
    response = { headers: { authorization: `Bearer ${token}` }, bodyAsText: JSON.stringify({ access_token: token }) };
    tokenText = `echo ${token}`;
  }
  const root = Object.assign(new Error(`inner ${token}`), { raw: token });
  const middle = new AggregateError([new Error(`listed ${token}`)], `middle ${token}`, { cause: root });
  const error = new AuthenticationError(`request failed: ${token}`, { cause: middle });
  error.stack = `AuthenticationError: request failed: ${token}\n    at getToken (identity.js:1:1)`;
  return error;
}

function expectNoToken(token: string, value: unknown): void {
  const parts = token.split(".");
  const shown = [
    ...reachableStrings(value),
    inspect(value, { depth: Infinity, showHidden: true }),
    JSON.stringify(value) ?? "",
  ];
  for (const text of shown) {
    for (const secret of [token, parts[1]!, parts[2]!]) expect(text.includes(secret), text.slice(0, 200)).toBe(false);
  }
}

describe("no token reachable from an error or event", () => {
  it("getEntraToken: the cause is a redacted copy that keeps class name, code, statusCode and the chain", async () => {
    const token = fakeJwt({ upn: "leak@contoso.com" });
    let error: unknown;
    await getEntraToken(
      fakeCredential(() => Promise.reject(leakyError(token))),
      scopes,
    ).catch((e: unknown) => (error = e));
    expect(EntraAuthError.isInstance(error)).toBe(true);
    expectNoToken(token, error);
    const cause = (error as EntraAuthError).cause as Error & {
      code: string;
      statusCode: number;
      cause: Error & { errors: Error[]; cause: Error };
    };
    expect(cause).toMatchObject({
      name: "AuthenticationError",
      code: "invalid_grant",
      statusCode: 400,
      message: "request failed: [redacted token]",
    });
    expect(cause.stack).toContain("at getToken (identity.js:1:1)");
    expect(cause.cause.message).toBe("middle [redacted token]");
    expect(cause.cause.errors[0]!.message).toBe("listed [redacted token]");
    expect(cause.cause.cause.message).toBe("inner [redacted token]");
  });

  it("the token source and refreshFailed events, for thrown non-errors too", async () => {
    const token = fakeJwt({ upn: "leak@contoso.com" });
    for (const thrown of [
      leakyError(token),
      `plain string ${token}`,
      { message: `object ${token}`, nested: { token } },
    ]) {
      const events: EntraTokenEvent[] = [];
      const credential = fakeCredential(() => Promise.reject(thrown));
      const source = createEntraTokenSource(credential, { onTokenEvent: (e) => events.push(e) });
      let error: unknown;
      await source.getAccessToken().catch((e: unknown) => (error = e));
      expect(EntraAuthError.isInstance(error)).toBe(true);
      expect(events.map((e) => e.type)).toContain("refreshFailed");
      expectNoToken(token, error);
      expectNoToken(token, events);
    }
  });

  it("a failed background refresh: the event's error carries no token", async () => {
    const cache = new EntraTokenCache();
    const token = fakeJwt({ upn: "leak@contoso.com" });
    let fail = false;
    const credential = fakeCredential(() => {
      if (fail) throw leakyError(token);
      return { token: fakeJwt({}), expiresOnTimestamp: Date.now() + 3_000 };
    });
    const events: EntraTokenEvent[] = [];
    await cache.getToken(credential, { scopes });
    fail = true;
    vi.useFakeTimers({ now: Date.now() + 1_600 }); // past half the lifetime: background refresh
    try {
      await cache.getToken(credential, { scopes, onTokenEvent: (e) => events.push(e) });
      await vi.advanceTimersByTimeAsync(0);
    } finally {
      vi.useRealTimers();
    }
    const failed = events.find((e) => e.type === "refreshFailed");
    expect(failed).toBeDefined();
    expectNoToken(token, failed);
  });
});
