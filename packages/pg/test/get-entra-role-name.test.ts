import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";
import { getEntraRoleName } from "../src/index.js";

const managedIdentity = {
  appid: "5b0e8b2e-0000-4000-8000-000000000001",
  xms_mirid:
    "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api-identity",
};

describe("getEntraRoleName", () => {
  it("reads the role name from the token", async () => {
    await expect(getEntraRoleName(fakeCredential(() => tokenFor(alice)))).resolves.toBe("alice@contoso.com");
    await expect(getEntraRoleName(fakeCredential(() => tokenFor(managedIdentity)))).resolves.toBe(
      "orders-api-identity",
    );
  });

  it("lets the username option win and uses fallbackUsername before appid", async () => {
    await expect(
      getEntraRoleName(
        fakeCredential(() => tokenFor(alice)),
        { username: "db-readers" },
      ),
    ).resolves.toBe("db-readers");
    const saved = process.env.PGUSER;
    delete process.env.PGUSER;
    try {
      await expect(
        getEntraRoleName(
          fakeCredential(() => tokenFor({ appid: "app-guid" })),
          { fallbackUsername: "reporting-app" },
        ),
      ).resolves.toBe("reporting-app");
    } finally {
      if (saved !== undefined) process.env.PGUSER = saved;
    }
  });

  it("asks for the scope of the host's cloud", async () => {
    const credential = fakeCredential(() => tokenFor(alice));
    await getEntraRoleName(credential, { host: "db.postgres.database.usgovcloudapi.net" });
    expect(credential.calls[0]?.scopes).toEqual(["https://ossrdbms-aad.database.usgovcloudapi.net/.default"]);
  });

  it("refuses a non-JWT token and bad options with typed errors", async () => {
    await expect(
      getEntraRoleName(fakeCredential(() => ({ token: "opaque", expiresOnTimestamp: Date.now() + 60_000 }))),
    ).rejects.toMatchObject({
      code: "TOKEN_NOT_JWT",
    });
    await expect(
      getEntraRoleName(
        fakeCredential(() => tokenFor(alice)),
        { username: 7 as never },
      ),
    ).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringContaining("username option"),
    });
  });
});
