/** The credential the --credential and --client-id flags ask for. */
import type { TokenCredential } from "@azure/core-auth";
import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { UsageError } from "./usage-error.js";

/**
 * The credentials that call an endpoint over HTTP (all but the Azure CLI and azd ones, which run a
 * process) get no retries of their own: the token cache's retry
 * budget is then the only schedule (a clear error with its cause within 3 s in an outage, a working
 * endpoint asked again within a second), instead of the cache waiting out `@azure/identity`'s retries.
 */
function noCredentialRetries(): { retryOptions: { maxRetries: number } } {
  return { retryOptions: { maxRetries: 0 } }; // a new object each time: the credentials write to their options
}

/** Makes the credential of `--credential KIND` (default `DefaultAzureCredential`) and `--client-id`. */
export function credentialFrom(values: Record<string, string | boolean | undefined>): TokenCredential {
  const clientId = values["client-id"] as string | undefined;
  const kind = (values.credential as string | undefined) ?? "default";
  switch (kind) {
    case "default":
      return new DefaultAzureCredential({
        ...noCredentialRetries(),
        ...(clientId ? { managedIdentityClientId: clientId } : {}),
      });
    case "cli":
      return new AzureCliCredential();
    case "azd":
      return new AzureDeveloperCliCredential();
    case "managed-identity":
      return new ManagedIdentityCredential({ ...noCredentialRetries(), ...(clientId ? { clientId } : {}) });
    case "workload-identity":
      return new WorkloadIdentityCredential({ ...noCredentialRetries(), ...(clientId ? { clientId } : {}) });
    case "environment":
      return new EnvironmentCredential(noCredentialRetries());
    default:
      throw new UsageError(
        `--credential must be default, cli, azd, managed-identity, workload-identity or environment (got "${kind}")`,
      );
  }
}
