import {
  assertRoleNameOptions,
  assertTokenCredential,
  createEntraTokenSource,
  EntraAuthError,
  type EntraTlsSettings,
  type GetEntraTokenPasswordOptions,
  type RoleNameOptions,
  resolveRoleName,
  resolveTlsOptions,
  type TokenCredential,
} from "@azure/postgresql-auth-core";

/**
 * The part of Slonik's `DriverConfiguration` this package reads and rewrites.
 *
 * @example
 * ```ts
 * import type { SlonikDriverConfigurationLike } from "@azure/postgresql-auth-slonik";
 * const configuration: SlonikDriverConfigurationLike = { connectionUri: "postgres://db.postgres.database.azure.com/appdb" };
 * ```
 */
export interface SlonikDriverConfigurationLike {
  readonly connectionUri: string;
  readonly ssl?: object | undefined;
}

/**
 * A Slonik `DriverFactory` (such as `createPgDriverFactory()` from `@slonik/pg-driver`), typed by
 * the shape this package uses.
 *
 * @example
 * ```ts
 * import type { SlonikDriverFactoryLike } from "@azure/postgresql-auth-slonik";
 * // The shape of Slonik's driver factories, such as createPgDriverFactory() from @slonik/pg-driver:
 * const factory: SlonikDriverFactoryLike = async ({ driverConfiguration }) => ({
 *   createClient: async () => new URL(driverConfiguration.connectionUri),
 * });
 * ```
 */
export type SlonikDriverFactoryLike<
  C extends SlonikDriverConfigurationLike = SlonikDriverConfigurationLike,
  D extends { createClient: () => Promise<unknown> } = { createClient: () => Promise<unknown> },
> = (input: { driverConfiguration: C }) => Promise<D>;

/**
 * Options of {@link createEntraDriverFactory}: role name rules, TLS, and the token options shared
 * by every adapter. The host (and so the cloud's scope) comes from the connection URI.
 *
 * @example
 * ```ts
 * import type { EntraDriverFactoryOptions } from "@azure/postgresql-auth-slonik";
 * const options: EntraDriverFactoryOptions = { fallbackUsername: "orders-api", sslmode: "verify-full" };
 * ```
 */
export interface EntraDriverFactoryOptions
  extends GetEntraTokenPasswordOptions,
    Pick<RoleNameOptions, "username" | "fallbackUsername">,
    EntraTlsSettings {}

/**
 * Wraps a Slonik driver factory so that every new connection logs in with a valid Entra ID token
 * and the right role name, without touching `pg.defaults`. Give Slonik a connection URI without a
 * password; a user name in it is kept (group login), else the role name comes from the token.
 * The host in the URI selects the cloud's scope. TLS verifies the server's certificate unless you
 * pass Slonik's own `ssl` (from `sslmode`/`PGSSLMODE`, `sslrootcert`/`PGSSLROOTCERT`; plaintext is
 * refused). When the cached token changes, a new inner driver is set up with it (the pg driver
 * opens one short connection then to read type ids); open connections are kept.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { createEntraDriverFactory } from "@azure/postgresql-auth-slonik";
 * import { createPgDriverFactory } from "@slonik/pg-driver";
 * import { createPool } from "slonik";
 *
 * const pool = await createPool("postgres://myserver.postgres.database.azure.com:5432/appdb", {
 *   driverFactory: createEntraDriverFactory(createPgDriverFactory(), new DefaultAzureCredential()),
 * });
 * ```
 */
export function createEntraDriverFactory<
  C extends SlonikDriverConfigurationLike,
  D extends { createClient: () => Promise<unknown> },
>(
  driverFactory: SlonikDriverFactoryLike<C, D>,
  credential: TokenCredential,
  options: EntraDriverFactoryOptions = {},
): SlonikDriverFactoryLike<C, D> {
  assertTokenCredential(credential, "createEntraDriverFactory");
  assertRoleNameOptions(options);
  if (typeof driverFactory !== "function") {
    throw new EntraAuthError(
      "INVALID_OPTION",
      "createEntraDriverFactory: pass a Slonik driver factory first, e.g. createPgDriverFactory() from @slonik/pg-driver.",
    );
  }
  const { username, fallbackUsername, sslmode, sslrootcert, allowInsecureLoopback, ...tokenOptions } = options;
  return async ({ driverConfiguration }) => {
    const url = new URL(driverConfiguration.connectionUri);
    if (url.password !== "") {
      throw new EntraAuthError(
        "INVALID_OPTION",
        "createEntraDriverFactory: remove the password from the connection URI; each connection gets a fresh token.",
      );
    }
    const host = decodeURIComponent(url.hostname) || url.searchParams.get("host") || "";
    const uriSslmode = url.searchParams.get("sslmode") ?? undefined;
    if (uriSslmode === "no-verify" && driverConfiguration.ssl === undefined) {
      throw new EntraAuthError(
        "INVALID_OPTION",
        "createEntraDriverFactory: sslmode=no-verify would send the token to an unverified server; remove it (certificates are verified by default).",
      );
    }
    const tls =
      driverConfiguration.ssl ??
      resolveTlsOptions(
        {
          sslmode: sslmode ?? (uriSslmode as EntraTlsSettings["sslmode"]),
          sslrootcert: sslrootcert ?? url.searchParams.get("sslrootcert") ?? undefined,
          allowInsecureLoopback,
        },
        host,
      );
    const source = createEntraTokenSource(credential, { host, ...tokenOptions });
    const configuredUsername = decodeURIComponent(url.username) || undefined;
    let current: { token: string; driver: Promise<D> } | undefined;
    const driverFor = async (): Promise<D> => {
      const { token } = await source.getAccessToken();
      if (current?.token !== token) {
        const { roleName } = resolveRoleName(token, { username, configuredUsername, fallbackUsername });
        const uri = new URL(url.href);
        uri.username = encodeURIComponent(roleName);
        uri.password = encodeURIComponent(token);
        const driver = driverFactory({
          driverConfiguration: {
            ...driverConfiguration,
            connectionUri: uri.href,
            ssl: typeof tls === "object" ? tls : undefined, // pg has no "allow"/"prefer"
          },
        });
        const entry = { token, driver };
        current = entry;
        driver.catch(() => {
          if (current === entry) current = undefined; // the next connection tries again
        });
      }
      return current.driver;
    };
    const first = await driverFor(); // set-up mistakes fail in createPool, not at the first query
    return { ...first, createClient: async () => (await driverFor()).createClient() };
  };
}
