import type { EntraLogin, EntraLoginRequest } from "@azure/postgresql-auth-core";
import { isExpiredTokenRefusal } from "./expired-token-refusal.js";
import { connectUpstreamTls, loginUpstream, type UpstreamLogin, type UpstreamTarget } from "./upstream-login.js";

/** What {@link retryExpiredLogin} needs to log in once more. */
export interface ExpiredLoginRetry {
  target: UpstreamTarget;
  parameters: ReadonlyArray<[string, string]>;
  timeoutMs: number;
  /** The login policy the refused token came from: it is invalidated there and a fresh one asked for. */
  login: Pick<EntraLogin, "invalidate" | "password">;
  /** The connection the fresh token is for (its host selects the scope). */
  request: EntraLoginRequest;
}

/** The login to answer the client with, and the token it was made with. */
export interface ExpiredLoginOutcome {
  login: UpstreamLogin;
  token: string;
  /** True when the first token was refused as expired and a fresh one was tried on a new connection. */
  retried: boolean;
  /** Why no fresh token could be tried: the credential failed, or it handed back the refused token. */
  notRetried?: string;
}

/**
 * When the server refused `token` as expired (this machine's clock is behind the server's), drops
 * it from the cache (which learns the skew), gets a fresh one and logs in once more on a new TLS
 * connection; any other outcome is returned as it is. One retry only: a second refusal is the
 * answer. Connection failures of the retry are thrown as from {@link connectUpstreamTls}.
 */
export async function retryExpiredLogin(
  first: UpstreamLogin,
  token: string,
  retry: ExpiredLoginRetry,
): Promise<ExpiredLoginOutcome> {
  if (first.ok || !isExpiredTokenRefusal(first.error)) return { login: first, token, retried: false };
  retry.login.invalidate(token);
  let fresh: string;
  try {
    fresh = (await retry.login.password(retry.request)).password;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { login: first, token, retried: false, notRetried: `no fresh token: ${reason}` };
  }
  if (fresh === token) {
    return { login: first, token, retried: false, notRetried: "the credential handed back the refused token" };
  }
  const socket = await connectUpstreamTls(retry.target, retry.timeoutMs);
  socket.on("error", () => socket.destroy());
  return { login: await loginUpstream(socket, retry.parameters, fresh, retry.timeoutMs), token: fresh, retried: true };
}
