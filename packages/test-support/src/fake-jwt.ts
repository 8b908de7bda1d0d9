// Test fixtures: unsigned JWT-shaped tokens and fake credentials. The core never checks
// signatures (the server does), so these are enough for unit tests.
import type { AccessToken, TokenCredential } from "@azure/core-auth";

export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signature = Buffer.from(`sig-${Math.random()}`).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.${signature}`;
}

export function fakeCredential(
  answer: (scopes: string | string[]) => AccessToken | null | Promise<AccessToken | null>,
): TokenCredential & { calls: Array<{ scopes: string | string[]; options: unknown }> } {
  const calls: Array<{ scopes: string | string[]; options: unknown }> = [];
  return {
    calls,
    async getToken(scopes, options) {
      calls.push({ scopes, options });
      return answer(scopes);
    },
  };
}

export function tokenFor(claims: Record<string, unknown>, lifetimeMs = 3_600_000): AccessToken {
  return { token: fakeJwt(claims), expiresOnTimestamp: Date.now() + lifetimeMs, tokenType: "Bearer" };
}

export const alice = {
  upn: "alice@contoso.com",
  oid: "11111111-1111-1111-1111-111111111111",
  appid: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
};
