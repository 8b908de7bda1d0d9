import type { TokenCredential } from "@azure/core-auth";
import { EntraAuthError } from "./entra-auth-error.js";

/**
 * Throws an {@link EntraAuthError} with code `CREDENTIAL_REQUIRED` unless `credential` is an
 * object with a `getToken` method (a `TokenCredential` from `@azure/identity` or your own).
 * Adapters call it when they are set up, so a missing credential fails at start-up and not at
 * the first connection.
 *
 * @internal
 */
export function assertTokenCredential(credential: unknown, caller: string): asserts credential is TokenCredential {
  if (
    credential === null ||
    (typeof credential !== "object" && typeof credential !== "function") ||
    typeof (credential as { getToken?: unknown }).getToken !== "function"
  ) {
    const got =
      credential === null
        ? "null"
        : typeof credential === "object"
          ? "an object without getToken()"
          : typeof credential;
    throw new EntraAuthError(
      "CREDENTIAL_REQUIRED",
      `${caller}: credential is required (got ${got}). Pass a TokenCredential, for example ` +
        "`new DefaultAzureCredential()` from @azure/identity.",
    );
  }
}
