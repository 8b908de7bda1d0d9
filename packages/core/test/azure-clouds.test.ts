import { describe, expect, it } from "vitest";
import { azurePostgresqlClouds, cloudFromHost, DEFAULT_SCOPE } from "../src/azure-clouds.js";

describe("azurePostgresqlClouds", () => {
  it("has each cloud's resource, scope and host suffix", () => {
    expect(azurePostgresqlClouds.AzurePublicCloud).toEqual({
      resource: "https://ossrdbms-aad.database.windows.net",
      scope: "https://ossrdbms-aad.database.windows.net/.default",
      hostSuffix: ".postgres.database.azure.com",
    });
    expect(azurePostgresqlClouds.AzureUSGovernment.scope).toBe(
      "https://ossrdbms-aad.database.usgovcloudapi.net/.default",
    );
    expect(azurePostgresqlClouds.AzureChinaCloud.scope).toBe("https://ossrdbms-aad.database.chinacloudapi.cn/.default");
    expect(DEFAULT_SCOPE).toBe("https://ossrdbms-aad.database.windows.net/.default");
  });

  it("cannot be changed at run time", () => {
    expect(Object.isFrozen(azurePostgresqlClouds)).toBe(true);
    expect(Object.isFrozen(azurePostgresqlClouds.AzurePublicCloud)).toBe(true);
  });
});

describe("cloudFromHost", () => {
  it.each([
    ["myserver.postgres.database.azure.com", "AzurePublicCloud"],
    ["MyServer.Postgres.Database.Azure.com.", "AzurePublicCloud"],
    ["gov.postgres.database.usgovcloudapi.net", "AzureUSGovernment"],
    ["cn.postgres.database.chinacloudapi.cn", "AzureChinaCloud"],
  ])("%s is in %s", (host, cloud) => {
    expect(cloudFromHost(host)).toBe(cloud);
  });

  it.each([
    "localhost",
    "127.0.0.1",
    "db.internal.contoso.com",
    "myserver.postgres.database.azure.com.attacker.example",
    "postgres.database.usgovcloudapi.net",
    "",
  ])("%s is in no known cloud", (host) => {
    expect(cloudFromHost(host)).toBeUndefined();
  });

  it("returns undefined for a missing host", () => {
    expect(cloudFromHost(undefined)).toBeUndefined();
    expect(cloudFromHost(null)).toBeUndefined();
  });
});
