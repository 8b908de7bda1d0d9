import { azurePostgresqlClouds, cloudFromHost } from "./azure-clouds.js";
import { EntraAuthError } from "./entra-auth-error.js";
import type { GetEntraTokenPasswordOptions } from "./get-entra-token-password-options.js";
import { invalidOption } from "./invalid-option.js";

/**
 * The scopes to request for a connection: `options.scope` when given, else the scope of the
 * cloud that `options.host` belongs to, else the public cloud's scope.
 * Throws an {@link EntraAuthError} with code `INVALID_SCOPE` for an empty or non-string scope.
 *
 * @internal
 */
export function resolveScopes(options: Pick<GetEntraTokenPasswordOptions, "scope" | "host"> = {}): string[] {
  if (typeof options !== "object" || options === null)
    throw invalidOption("options", "an object (or left out)", options);
  const { scope } = options;
  if (scope === undefined) {
    const cloud = cloudFromHost(options.host) ?? "AzurePublicCloud";
    return [azurePostgresqlClouds[cloud].scope];
  }
  const scopes = Array.isArray(scope) ? scope : [scope];
  if (scopes.length === 0 || scopes.some((s) => typeof s !== "string" || s.trim() === "")) {
    throw new EntraAuthError(
      "INVALID_SCOPE",
      "The scope option is empty or not a string. Leave scope unset to use the Azure Database for PostgreSQL scope " +
        `(${azurePostgresqlClouds.AzurePublicCloud.scope}), or pass a non-empty string or array of strings.`,
    );
  }
  return [...scopes];
}
