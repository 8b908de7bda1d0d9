/**
 * The credentials a child process uses. Built in the child, so @azure/identity's in-process state
 * starts fresh for each contender and reads IDENTITY_ENDPOINT / AZURE_CLIENT_ID / PATH from the
 * child's environment.
 */
import { AzureCliCredential, DefaultAzureCredential, type AccessToken, type TokenCredential } from "@azure/identity";

export type CredentialKind = "default" | "cli" | "instant";

/** An unsigned token shaped like a JWT, for the instant fake credential (never sent to a server). */
function fakeJwt(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ aud: "https://ossrdbms-aad.database.windows.net", iat: now, exp: now + 3600 })}.x`;
}

/** A credential that answers at once with a fixed, valid-for-an-hour token: measures the provider's own overhead. */
export function instantCredential(): TokenCredential {
  const token: AccessToken = { token: fakeJwt(), expiresOnTimestamp: Date.now() + 3_600_000, tokenType: "Bearer" };
  return { getToken: async () => token };
}

export function makeCredential(kind: CredentialKind): TokenCredential {
  switch (kind) {
    case "default":
      return new DefaultAzureCredential();
    case "cli":
      return new AzureCliCredential();
    case "instant":
      return instantCredential();
  }
}
