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

/** Makes the credential of `--credential KIND` (default `DefaultAzureCredential`) and `--client-id`. */
export function credentialFrom(values: Record<string, string | boolean | undefined>): TokenCredential {
  const clientId = values["client-id"] as string | undefined;
  const kind = (values.credential as string | undefined) ?? "default";
  switch (kind) {
    case "default":
      return clientId
        ? new DefaultAzureCredential({ managedIdentityClientId: clientId })
        : new DefaultAzureCredential();
    case "cli":
      return new AzureCliCredential();
    case "azd":
      return new AzureDeveloperCliCredential();
    case "managed-identity":
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case "workload-identity":
      return new WorkloadIdentityCredential(clientId ? { clientId } : {});
    case "environment":
      return new EnvironmentCredential();
    default:
      throw new UsageError(
        `--credential must be default, cli, azd, managed-identity, workload-identity or environment (got "${kind}")`,
      );
  }
}
