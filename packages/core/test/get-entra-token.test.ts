import { inspect } from "node:util";
import { alice, fakeCredential, fakeJwt, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";
import { getEntraToken } from "../src/get-entra-token.js";
import { createEntraTokenSource, EntraAuthError, type EntraAuthErrorCode } from "../src/index.js";

const scopes = ["https://ossrdbms-aad.database.windows.net/.default"];

async function failure(promise: Promise<unknown>): Promise<EntraAuthError> {
  try {
    await promise;
  } catch (err) {
    expect(EntraAuthError.isInstance(err)).toBe(true);
    return err as EntraAuthError;
  }
  throw new Error("expected a rejection");
}

describe("getEntraToken", () => {
  it("returns the credential's token and passes scopes, tenant and abort signal", async () => {
    const accessToken = tokenFor(alice);
    const credential = fakeCredential(() => accessToken);
    const abortSignal = new AbortController().signal;
    await expect(getEntraToken(credential, scopes, { tenantId: "t1", abortSignal })).resolves.toBe(accessToken);
    expect(credential.calls).toEqual([{ scopes, options: { tenantId: "t1", abortSignal } }]);
  });

  const secret = fakeJwt({ upn: "leak@contoso.com" });
  const rows: Array<[string, () => unknown, EntraAuthErrorCode, RegExp]> = [
    [
      "a credential that throws",
      () => {
        throw new Error("AADSTS700016: app not found");
      },
      "TOKEN_ACQUISITION_FAILED",
      /Failed to acquire Entra ID token.*AADSTS700016: app not found/,
    ],
    [
      "a credential that returns null",
      () => null,
      "TOKEN_ACQUISITION_FAILED",
      /Failed to acquire Entra ID token.*returned null/,
    ],
    [
      "an empty token",
      () => ({ token: "", expiresOnTimestamp: Date.now() + 60_000 }),
      "INVALID_TOKEN",
      /empty access token/,
    ],
    [
      "a non-string token",
      () => ({ token: 42, expiresOnTimestamp: Date.now() + 60_000 }),
      "INVALID_TOKEN",
      /non-string \(number\) access token/,
    ],
    [
      "an expired token",
      () => ({ token: secret, expiresOnTimestamp: Date.now() - 1000 }),
      "TOKEN_EXPIRED",
      /expired at .*clock/,
    ],
    [
      "a token past its exp claim",
      () => ({
        token: fakeJwt({ exp: Math.floor(Date.now() / 1000) - 60 }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      }),
      "TOKEN_EXPIRED",
      /expired at .*clock/,
    ],
    [
      "an expiry in seconds without exp claim",
      () => ({ token: secret, expiresOnTimestamp: Math.floor(Date.now() / 1000) + 3600 }),
      "INVALID_TOKEN",
      /looks like seconds since the epoch, not milliseconds.*no exp claim/,
    ],
    [
      "no expiry and no exp claim",
      () => ({ token: secret }),
      "INVALID_TOKEN",
      /expiresOnTimestamp is missing.*no exp claim/,
    ],
  ];

  it.each(rows)("refuses %s", async (_what, answer, code, message) => {
    const error = await failure(getEntraToken(fakeCredential(answer as never), scopes));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(scopes[0]);
    for (const shown of [error.message, JSON.stringify(error), inspect(error, { depth: 5 })]) {
      expect(shown).not.toContain(secret);
    }
  });

  it("keeps a redacted copy of the credential's error as cause: class name, message, code, statusCode", async () => {
    class CredentialUnavailableError extends Error {
      override name = "CredentialUnavailableError";
      code = "ENOAZ";
      statusCode = 401;
    }
    const original = new CredentialUnavailableError("no az login.");
    const error = await failure(
      getEntraToken(
        fakeCredential(() => Promise.reject(original)),
        scopes,
      ),
    );
    expect(error.cause).not.toBe(original);
    expect(error.cause).toMatchObject({
      name: "CredentialUnavailableError",
      message: "no az login.",
      code: "ENOAZ",
      statusCode: 401,
    });
    expect(error.message).toContain("no az login. Check"); // one full stop, not ".."
  });

  it("quotes at most 2,000 characters of a huge credential message; the cause keeps it all", async () => {
    const huge = `${"x".repeat(5_000)} end`;
    const error = await failure(
      getEntraToken(
        fakeCredential(() => Promise.reject(new Error(huge))),
        scopes,
      ),
    );
    expect(error.message.length).toBeLessThan(2_500);
    expect(error.message).toContain("more characters in cause]. Check");
    expect((error.cause as Error).message).toBe(huge);
  });

  it("removes a token that a credential's error message contains", async () => {
    const leaked = fakeJwt({ upn: "x@contoso.com" });
    const error = await failure(
      getEntraToken(
        fakeCredential(() => {
          throw new Error(`bad response ${leaked}`);
        }),
        scopes,
      ),
    );
    expect(error.message).not.toContain(leaked);
    expect(error.message).toContain("[redacted token]");
  });
});

describe("getEntraToken: the JWT's exp claim bounds the expiry", () => {
  const nowS = () => Math.floor(Date.now() / 1000);
  it.each([
    ["missing", undefined],
    ["NaN", Number.NaN],
    ["in seconds", () => nowS() + 7200],
    ["in microseconds", () => (Date.now() + 7_200_000) * 1000],
    ["later than exp", () => Date.now() + 7_200_000],
  ])("expiresOnTimestamp %s: the token's exp wins", async (_what, given) => {
    const exp = nowS() + 600;
    const value = typeof given === "function" ? given() : given;
    const credential = fakeCredential(() => ({
      token: fakeJwt({ exp }),
      expiresOnTimestamp: value as number,
      refreshAfterTimestamp: Date.now() + 3_600_000,
    }));
    const token = await getEntraToken(credential, scopes);
    expect(token.expiresOnTimestamp).toBe(exp * 1000);
    expect(token.refreshAfterTimestamp).toBeUndefined(); // past the real expiry: dropped
  });

  it("keeps an earlier expiresOnTimestamp, and the credential's object when nothing changes", async () => {
    const accessToken = {
      token: fakeJwt({ exp: Math.floor(Date.now() / 1000) + 3600 }),
      expiresOnTimestamp: Date.now() + 600_000,
    };
    await expect(
      getEntraToken(
        fakeCredential(() => accessToken),
        scopes,
      ),
    ).resolves.toBe(accessToken);
  });

  it("the token source hands out the effective expiry (for Knex expirationChecker, MikroORM)", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const credential = fakeCredential(() => ({ token: fakeJwt({ exp }), expiresOnTimestamp: exp }));
    const token = await createEntraTokenSource(credential).getAccessToken();
    expect(token.expiresOnTimestamp).toBe(exp * 1000);
  });
});

describe("createEntraTokenSource", () => {
  it("refuses an empty scope at once", () => {
    const credential = fakeCredential(() => tokenFor(alice));
    expect(() => createEntraTokenSource(credential, { scope: "" })).toThrowError(
      expect.objectContaining({ code: "INVALID_SCOPE" }),
    );
    expect(credential.calls).toHaveLength(0);
  });

  it("shares one cached token between sources of the same credential, unless cache is false", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    const a = createEntraTokenSource(credential, {});
    const b = createEntraTokenSource(credential, {});
    await Promise.all([a.getAccessToken(), b.getAccessToken(), a.getAccessToken()]);
    expect(credential.calls).toHaveLength(1);
    const uncached = createEntraTokenSource(credential, { cache: false });
    await uncached.getAccessToken();
    await uncached.getAccessToken();
    expect(credential.calls).toHaveLength(3);
  });

  it("asks for the scope of the connection's cloud unless a scope or host is configured", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    await createEntraTokenSource(credential, {}).getAccessToken({ host: "a.postgres.database.usgovcloudapi.net" });
    await createEntraTokenSource(credential, { host: "a.postgres.database.chinacloudapi.cn" }).getAccessToken({
      host: "localhost",
    });
    await createEntraTokenSource(credential, { scope: "api://s/.default" }).getAccessToken({
      host: "a.postgres.database.usgovcloudapi.net",
    });
    await createEntraTokenSource(credential, {}).getAccessToken();
    expect(credential.calls.map((c) => c.scopes)).toEqual([
      ["https://ossrdbms-aad.database.usgovcloudapi.net/.default"],
      ["https://ossrdbms-aad.database.chinacloudapi.cn/.default"],
      ["api://s/.default"],
      ["https://ossrdbms-aad.database.windows.net/.default"],
    ]);
  });
});
