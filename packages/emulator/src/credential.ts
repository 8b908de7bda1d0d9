/**
 * In-process `TokenCredential` backed by the emulator (structurally typed: no runtime
 * dependency on @azure/core-auth).
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { scopeToResource } from "./token-issuer.js";
import type { TokenService } from "./token-service.js";

/**
 * Error thrown by {@link EmulatorCredential} when a request fails (injected failure or throttle).
 *
 * @example
 * ```ts
 * import { EmulatorCredentialError, PUBLIC_CLOUD_RESOURCE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * emu.configurePrincipal("alice@contoso.com", { failNext: 1, failStatus: 503 });
 * const error = await emu.credential("alice@contoso.com").getToken(`${PUBLIC_CLOUD_RESOURCE}/.default`).catch((e: unknown) => e);
 * if (error instanceof EmulatorCredentialError) console.log(error.statusCode); // 503
 * ```
 */
export class EmulatorCredentialError extends Error {
  /** Always `"EmulatorCredentialError"`. */
  override name = "EmulatorCredentialError";
  constructor(
    message: string,
    /** HTTP status the managed identity endpoint would have answered (429, 500, ...). */
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/**
 * A `TokenCredential` that gets tokens straight from the emulator, honouring the
 * principal's lifetime, latency, failure and throttle settings. Counted as way `credential`.
 * Made by `emu.credential(name)`.
 *
 * @example
 * ```ts
 * import { startEmulator, type EmulatorCredential } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const credential: EmulatorCredential = emu.credential("alice@contoso.com");
 * const { token } = await credential.getToken("https://ossrdbms-aad.database.windows.net/.default");
 * ```
 */
export interface EmulatorCredential extends TokenCredential {
  /** Name of the principal whose tokens this credential returns. */
  readonly principalName: string;
  /** A token of the principal for the scope's resource; rejects with {@link EmulatorCredentialError} as the endpoint would fail. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
}

/** Makes the credential of principal `principalName` (internal: `emu.credential()` is the public way). */
export function createEmulatorCredential(service: TokenService, principalName: string): EmulatorCredential {
  return {
    principalName,
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      const list = Array.isArray(scopes) ? scopes : [scopes];
      const scope = list[0];
      if (!scope) throw new EmulatorCredentialError("getToken needs a scope.", 400);
      const outcome = await service.request(principalName, "credential", scopeToResource(scope), options?.abortSignal);
      if (!outcome.ok) throw new EmulatorCredentialError(outcome.description, outcome.status);
      const token: AccessToken = {
        token: outcome.token,
        expiresOnTimestamp: outcome.expiresOnTimestamp,
        tokenType: "Bearer",
      };
      // Entra sends refresh_in (half the lifetime) for tokens that live 2 h or more.
      if (outcome.lifetimeSeconds >= 7200) {
        token.refreshAfterTimestamp = outcome.expiresOnTimestamp - (outcome.lifetimeSeconds * 1000) / 2;
      }
      return token;
    },
  };
}
