import type { AccessToken } from "@azure/core-auth";

/**
 * The token with another expiry (the effective one, or one moved earlier by the learned clock
 * skew); `refreshAfterTimestamp` is kept only while it comes before that expiry.
 */
export function withExpiry(token: AccessToken, expiresOnTimestamp: number): AccessToken {
  const { refreshAfterTimestamp, ...rest } = token;
  return {
    ...rest,
    expiresOnTimestamp,
    ...(typeof refreshAfterTimestamp === "number" &&
      refreshAfterTimestamp < expiresOnTimestamp && { refreshAfterTimestamp }),
  };
}
