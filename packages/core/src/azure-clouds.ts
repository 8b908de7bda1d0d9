/**
 * The Azure clouds that host Azure Database for PostgreSQL, with their Entra ID resource
 * and server host suffix.
 *
 * @internal
 */
export type AzureCloud = "AzurePublicCloud" | "AzureUSGovernment" | "AzureChinaCloud";

/**
 * Entra ID resource, scope and server host suffix of one Azure cloud.
 *
 * @internal
 */
export interface AzurePostgresqlCloudInfo {
  /** The token audience, e.g. `https://ossrdbms-aad.database.windows.net`. */
  readonly resource: string;
  /** The scope to request: the resource followed by `/.default`. */
  readonly scope: string;
  /** Server host names of this cloud end with this suffix. */
  readonly hostSuffix: string;
}

/**
 * Resource, scope and host suffix per cloud.
 *
 * @internal
 */
export const azurePostgresqlClouds: Readonly<Record<AzureCloud, AzurePostgresqlCloudInfo>> = Object.freeze({
  AzurePublicCloud: cloud("https://ossrdbms-aad.database.windows.net", ".postgres.database.azure.com"),
  AzureUSGovernment: cloud("https://ossrdbms-aad.database.usgovcloudapi.net", ".postgres.database.usgovcloudapi.net"),
  AzureChinaCloud: cloud("https://ossrdbms-aad.database.chinacloudapi.cn", ".postgres.database.chinacloudapi.cn"),
});

function cloud(resource: string, hostSuffix: string): AzurePostgresqlCloudInfo {
  return Object.freeze({ resource, scope: `${resource}/.default`, hostSuffix });
}

/**
 * The default scope (Azure public cloud): `https://ossrdbms-aad.database.windows.net/.default`.
 *
 * @internal
 */
export const DEFAULT_SCOPE: string = azurePostgresqlClouds.AzurePublicCloud.scope;

/**
 * The cloud a server host name belongs to, from its suffix; `undefined` for any other host
 * (localhost, an IP address, a private DNS alias).
 *
 * @internal
 */
export function cloudFromHost(host: string | undefined | null): AzureCloud | undefined {
  if (typeof host !== "string") return undefined;
  const name = host.trim().toLowerCase().replace(/\.$/, "");
  for (const [id, info] of Object.entries(azurePostgresqlClouds) as [AzureCloud, AzurePostgresqlCloudInfo][]) {
    if (name.endsWith(info.hostSuffix)) return id;
  }
  return undefined;
}
