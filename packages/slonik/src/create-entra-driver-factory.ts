import {
  createEntraLogin,
  EntraAuthError,
  type EntraConnectionTls,
  type EntraLoginOptions,
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
  /** The connection URI Slonik was given. */
  readonly connectionUri: string;
  /** The TLS options Slonik passes to its driver, if any. */
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
 * import type { EntraSlonikOptions } from "@azure/postgresql-auth-slonik";
 * const options: EntraSlonikOptions = { fallbackUsername: "orders-api", sslmode: "verify-full" };
 * ```
 */
export interface EntraSlonikOptions extends Omit<EntraLoginOptions, "env" | "host"> {
  /** Selects the cloud's scope instead of the URI's host (a private DNS alias or an IP address). */
  host?: string;
}

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
  options: EntraSlonikOptions = {},
): SlonikDriverFactoryLike<C, D> {
  const login = createEntraLogin(credential, options, "createEntraDriverFactory");
  if (typeof driverFactory !== "function") {
    throw new EntraAuthError(
      "INVALID_OPTION",
      "createEntraDriverFactory: pass a Slonik driver factory first, e.g. createPgDriverFactory() from @slonik/pg-driver.",
    );
  }
  return async ({ driverConfiguration }) => {
    const url = new URL(driverConfiguration.connectionUri);
    if (url.password !== "") {
      throw new EntraAuthError(
        "INVALID_OPTION",
        "createEntraDriverFactory: remove the password from the connection URI; each connection gets a fresh token.",
      );
    }
    const host = decodeURIComponent(url.hostname) || url.searchParams.get("host") || undefined;
    const { ssl } = login.prepare({ host, port: url.port, tls: connectionTls(driverConfiguration.ssl, url) });
    const configuredUser = decodeURIComponent(url.username) || undefined;
    let current: { token: string; driver: Promise<D> } | undefined;
    const driverFor = async (): Promise<D> => {
      const { user, password } = await login.login({ host, port: url.port, tls: { ssl }, configuredUser });
      if (current?.token !== password) {
        const uri = new URL(url.href);
        uri.username = encodeURIComponent(user);
        uri.password = encodeURIComponent(password);
        const driver = driverFactory({
          // false (plaintext allowed on loopback): Slonik's own default, or the URI's sslmode=disable.
          driverConfiguration: { ...driverConfiguration, connectionUri: uri.href, ssl: ssl || undefined },
        });
        const entry = { token: password, driver };
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

/**
 * The TLS Slonik's pg driver would use: its `ssl` option wins, else `sslmode` (and `sslrootcert`)
 * in the URI; neither: the login's `sslmode`, else `PGSSLMODE`, else verified TLS.
 */
function connectionTls(ssl: object | undefined, url: URL): EntraConnectionTls | undefined {
  if (ssl !== undefined) return { ssl, setting: "Slonik's ssl option" };
  const sslmode = url.searchParams.get("sslmode");
  const sslrootcert = url.searchParams.get("sslrootcert") ?? undefined;
  if (sslmode === null && sslrootcert === undefined) return undefined;
  return { sslmode: sslmode ?? "verify-full", sslrootcert, setting: "sslmode in the connection URI" };
}
