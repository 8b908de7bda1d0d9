/**
 * The test every driver example shares. It starts the emulator with short-lived tokens and runs the
 * example's compiled program, unchanged, as a child process with the environment a managed identity
 * on Azure would have (`IDENTITY_ENDPOINT`, `PGHOST`, `PGSSLROOTCERT`, ...), for a few token
 * lifetimes.
 *
 * What every example program does, so that this one test fits all of them:
 * - reads `PGHOST`, `PGPORT`, `PGDATABASE` and verifies the server's certificate against the CA in
 *   `PGSSLROOTCERT` (`rejectUnauthorized: true`); `NODE_EXTRA_CA_CERTS` is removed here, so only the
 *   program's own `ca` option can make TLS succeed;
 * - keeps working for `RUN_SECONDS` (default: one round), opening a new physical connection each
 *   round (a short pool idle timeout), and prints `round <n>: connected as <role> (backend <pid>)`;
 * - counts the credential calls it caused (`onTokenEvent`) and prints `token requests: <n>` at the end.
 *
 * The shared example test (exported as `describeExample`).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import {
  AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES,
  type Emulator,
  type EmulatorStats,
  startEmulator,
} from "@azure/postgresql-auth-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** One run of an example program. */
export interface ExampleRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The `round` lines the program printed, in order. */
  rounds: Array<{ role: string; pid: number }>;
  /** The number in the program's `token requests: <n>` line (undefined if it printed none). */
  reportedTokenRequests: number | undefined;
  /** The emulator's counters for this run alone. */
  stats: EmulatorStats;
}

/** What {@link describeExample} needs to know about an example. */
export interface ExampleUnderTest {
  /** Shown in the test names, e.g. `examples/knex`. */
  name: string;
  /** The compiled program, e.g. `new URL("../dist/main.js", import.meta.url)`. */
  main: URL;
  /** Role the program must log in as. Default: the emulator's managed identity (`orders-api-identity`). */
  role?: string;
  /**
   * Token lifetime in seconds. Default 4: the cache hands out a token until the last quarter of its
   * life (here about a second), which leaves a loaded CI machine time to present it.
   */
  tokenLifetimeSeconds?: number;
  /** How many token lifetimes the program keeps working. Default 2. */
  lifetimes?: number;
  /** More variables for the program. */
  env?: Record<string, string>;
  /**
   * The root README shows this example's snippet: the first ```ts block of the example's README
   * (type-checked there) must appear unchanged as a ```typescript block of the root README.
   */
  rootReadmeSnippet?: boolean;
  /** More tests of this example, with the running emulator. */
  moreTests?: (context: { emulator: () => Emulator; run: (env?: NodeJS.ProcessEnv) => Promise<ExampleRun> }) => void;
}

const JWT_START = /eyJ[A-Za-z0-9_-]{10,}/; // a base64url JSON header: what every JWT starts with

/**
 * Runs an example program with the emulator's environment (as the managed identity) plus `extra`
 * (a variable set to `undefined` is removed), and collects what it printed and what it caused.
 */
export async function runExample(emu: Emulator, main: URL, extra: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete env[key];
  Object.assign(env, emu.env);
  delete env.PGUSER; // the role name comes from the token
  delete env.NODE_EXTRA_CA_CERTS; // the program's own `ca` option must do it
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  emu.resetStats();
  // Asynchronous: the emulator runs in this process and must keep answering while the program runs.
  const { status, stdout, stderr } = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        process.execPath,
        [fileURLToPath(main)],
        { env, encoding: "utf8", timeout: 150_000 },
        (error, out, err) =>
          resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: out, stderr: err }),
      );
    },
  );
  const rounds = [...stdout.matchAll(/^round \d+: connected as (\S+) \(backend (\d+)\)$/gm)].map((m) => ({
    role: m[1]!,
    pid: Number(m[2]),
  }));
  const reported = /^token requests: (\d+)$/m.exec(stdout);
  return {
    status,
    stdout,
    stderr,
    rounds,
    reportedTokenRequests: reported ? Number(reported[1]) : undefined,
    stats: emu.stats(),
  };
}

/**
 * Declares the shared tests of one example:
 * 1. as the managed identity, with verified TLS, it keeps opening new physical connections across
 *    `lifetimes` token lifetimes with no refused login, about one token request per lifetime (the
 *    cache: far fewer than connections), and the count it reports is what the emulator counted;
 * 2. a server certificate from another CA is refused (TLS is verified, not just encrypted);
 * plus `moreTests`. No output of the program may contain a token.
 */
export function describeExample(example: ExampleUnderTest): void {
  const lifetime = example.tokenLifetimeSeconds ?? 4;
  const lifetimes = example.lifetimes ?? 2;
  const role = example.role ?? "orders-api-identity";
  let emu: Emulator | undefined;
  const emulator = () => {
    if (!emu) throw new Error("the emulator did not start");
    return emu;
  };
  const run = (env: NodeJS.ProcessEnv = {}) => runExample(emulator(), example.main, { ...example.env, ...env });
  const expectNoToken = (result: ExampleRun) => {
    expect(JWT_START.test(result.stdout), "a token in the program's output").toBe(false);
    expect(JWT_START.test(result.stderr), "a token in the program's error output").toBe(false);
  };

  describe(example.name, () => {
    beforeAll(async () => {
      emu = await startEmulator({ tokenLifetimeSeconds: lifetime });
    });
    afterAll(async () => {
      await emu?.stop();
    });

    it(`logs in as the managed identity with verified TLS, across ${lifetimes} token lifetimes of ${lifetime} s, with no refused login`, async () => {
      const runSeconds = lifetime * lifetimes + 0.5;
      const result = await run({ RUN_SECONDS: String(runSeconds) });
      expectNoToken(result);
      expect(result.status, result.stderr).toBe(0);
      // It kept working: at least two rounds per token lifetime, each as the managed identity.
      expect(result.rounds.length).toBeGreaterThanOrEqual(2 * lifetimes);
      for (const round of result.rounds) expect(round.role).toBe(role);
      // Each round on a new physical connection, and every login accepted.
      expect(new Set(result.rounds.map((r) => r.pid)).size).toBe(result.rounds.length);
      expect(result.stats.logins.refused).toBe(0);
      expect(result.stats.logins.ok).toBeGreaterThanOrEqual(result.rounds.length);
      // Fresh tokens as the old ones expired (at least one per lifetime), but cached in between: the
      // cache refreshes ahead at half a (short) token's lifetime, so at most one per half lifetime.
      // (`exp` is in whole seconds, so a token lives between lifetime - 1 and lifetime seconds.)
      const requests = result.stats.tokenRequests.managedIdentityEndpoint;
      expect(result.stats.tokenRequests.total).toBe(requests);
      expect(result.reportedTokenRequests).toBe(requests);
      expect(requests).toBeGreaterThanOrEqual(lifetimes);
      expect(requests).toBeLessThanOrEqual(Math.ceil(runSeconds / ((lifetime - 1) / 2)) + 1);
      expect(requests).toBeLessThan(result.stats.logins.ok);
    });

    it("refuses a server certificate that the configured CA did not sign", async () => {
      const dir = mkdtempSync(join(tmpdir(), "example-wrong-ca-"));
      try {
        const otherCa = join(dir, "other-ca.pem");
        writeFileSync(otherCa, rootCertificates[0]!); // a real CA, but not the one of the emulator's server
        const result = await run({ PGSSLROOTCERT: otherCa });
        expectNoToken(result);
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/certificate|self[- ]signed/i);
        expect(result.rounds).toHaveLength(0);
        expect(result.stats.logins.ok).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    if (example.rootReadmeSnippet) {
      it("the root README shows this example's snippet unchanged", () => {
        const blocks = (file: URL, fence: string) =>
          [...readFileSync(file, "utf8").matchAll(new RegExp(`\`\`\`${fence}\\n([\\s\\S]*?)\`\`\``, "g"))].map(
            (m) => m[1],
          );
        const own = blocks(new URL("../README.md", example.main), "ts")[0];
        expect(own, "a ```ts block in the example's README").toBeDefined();
        expect(blocks(new URL("../../../README.md", example.main), "typescript")).toContain(own);
      });
    }

    example.moreTests?.({ emulator, run });
  });
}
