/**
 * postgres.js storm: one postgres.js pool opens 100 connections at once (100 concurrent queries)
 * with an unmodified DefaultAzureCredential → the emulator's managed identity endpoint (50 ms
 * latency, throttle on as on a real VM). microsoft = the program a user writes today: postgres.js
 * with Microsoft's pg password function; ours = getEntraPostgresOptions.
 */
import { readFileSync } from "node:fs";
import { getEntraPostgresOptions } from "@azure/postgresql-auth-postgres";
import { entraTokenProvider as microsoftEntraTokenProvider } from "ms-postgresql-auth";
import postgres from "postgres";
import { countFailures, type StormOutcome } from "../connection-storm.js";
import { CONTENDERS, type ContenderName, contenderOrder, makeCredential } from "../contenders.js";
import { errorSummary, sleep, statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface Params {
  connections: number;
  user: string;
  staticPassword?: string;
}

interface ChildResult extends StormOutcome {
  /** Rejected password promises that postgres.js left unhandled (without a handler the process exits). */
  unhandled: number;
}

const LATENCY_MS = 50;

async function options(contender: ContenderName, params: Params): Promise<postgres.Options<Record<string, never>>> {
  const tls = { ca: readFileSync(process.env.PGSSLROOTCERT!, "utf8"), rejectUnauthorized: true };
  const base = {
    host: process.env.PGHOST!,
    port: Number(process.env.PGPORT),
    database: process.env.PGDATABASE!,
    ssl: tls,
  };
  switch (contender) {
    case "static":
      return { ...base, username: params.user, password: params.staticPassword! };
    case "microsoft": {
      const provider = microsoftEntraTokenProvider(makeCredential("default"));
      return { ...base, username: params.user, password: () => provider() };
    }
    case "ours":
      // Set-up (one token for the role name) is inside the timed window.
      return { ...(await getEntraPostgresOptions(makeCredential("default"))), port: Number(process.env.PGPORT) };
  }
}

async function child(contender: ContenderName, params: Params): Promise<ChildResult> {
  // postgres.js 3.4 does not catch a rejected password function: count those instead of exiting,
  // and bound the hung connections they leave with connect_timeout.
  let unhandled = 0;
  const errors = new Set<string>();
  process.on("unhandledRejection", (reason) => {
    unhandled += 1;
    errors.add(`unhandled: ${errorSummary(reason)}`);
  });
  const started = performance.now();
  const sql = postgres({ ...(await options(contender, params)), max: params.connections, connect_timeout: 15 });
  const settled = await Promise.allSettled(
    Array.from({ length: params.connections }, () => sql`select pg_sleep(0.05)`),
  );
  const wallMs = performance.now() - started;
  const failed = countFailures(settled, errors);
  await Promise.race([sql.end({ timeout: 1 }), sleep(5_000)]);
  return { wallMs, failed, errors: [...errors].slice(0, 3), unhandled };
}

export const postgresJsStormScenario: Scenario = {
  id: "postgres-js-storm",
  title: "postgres.js storm, endpoint throttled (100 connections at once)",
  async parent(ctx) {
    const { emu } = ctx;
    const connections = bySize(ctx.mode, { full: 100, quick: 100, smoke: 5 });
    const runs = bySize(ctx.mode, { full: 3, quick: 1, smoke: 1 });
    const mi = emu.principals.managedIdentity;
    emu.configurePrincipal(mi.name, { latencyMs: LATENCY_MS, throttle: true });
    const requests: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const throttled: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const failed: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
    const unhandled: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
    const walls: Record<ContenderName, number[]> = { static: [], microsoft: [], ours: [] };
    const notes: string[] = [];
    const max = (a: Figure, b: number) => Math.max(a ?? 0, b);
    try {
      for (let run = 0; run < runs; run++) {
        for (const contender of contenderOrder(run, CONTENDERS)) {
          const isStatic = contender === "static";
          const params: Params = isStatic
            ? {
                connections,
                user: emu.principals.passwordRole.roleName,
                staticPassword: emu.principals.passwordRole.password,
              }
            : { connections, user: mi.roleName };
          const before = emu.stats();
          const result = await ctx.runChild<ChildResult>({ scenario: this.id, contender, params });
          const delta = statsDelta(before, emu.stats());
          const count = delta.requests(mi.name, "managedIdentityEndpoint");
          if (!isStatic) {
            requests[contender] = max(requests[contender], count);
            throttled[contender] = max(throttled[contender], delta.throttled);
          }
          walls[contender].push(result.wallMs);
          failed[contender] = max(failed[contender], result.failed);
          unhandled[contender] = max(unhandled[contender], result.unhandled);
          if (result.errors.length > 0)
            notes.push(`${contender}, run ${run + 1}: ${result.failed} failed, e.g. "${result.errors.join('"; "')}"`);
          ctx.log(
            `${this.id} run ${run + 1}/${runs} ${contender}: ${result.wallMs.toFixed(0)} ms, failed ${result.failed}, requests ${isStatic ? "—" : count}`,
          );
        }
      }
    } finally {
      emu.configurePrincipal(mi.name, { latencyMs: 0, throttle: undefined });
    }
    const of = runs > 1 ? `, worst of ${runs} runs` : "";
    const wall = Object.fromEntries(CONTENDERS.map((c) => [c, Math.min(...walls[c])])) as Record<ContenderName, Figure>;
    return {
      id: this.id,
      title: this.title,
      ran:
        `one postgres.js pool (max ${connections}) running ${connections} queries at once, so ${connections} connections open together ` +
        `(${runs} run${runs > 1 ? "s" : ""} per contender in fresh processes), DefaultAzureCredential → managed identity endpoint (${LATENCY_MS} ms latency, throttle on). ` +
        "microsoft = the natural program today: postgres.js with Microsoft's entraTokenProvider (a pg password function) as `password`; " +
        "ours = postgres({ ...await getEntraPostgresOptions(credential) }); static uses the password role. " +
        "postgres.js leaves a rejected password promise unhandled (Node.js exits by default); the child counts those and connect_timeout (15 s) ends the connections they leave hanging.",
      rows: [
        row(`token endpoint requests${of}`, "count", requests, {
          ratios: false,
          target: { text: "exactly 1", pass: requests.ours === 1 },
        }),
        row(`failed connections${of}`, "count", failed, {
          ratios: false,
          target: { text: "0 failed", pass: failed.ours === 0 },
        }),
        row(`unhandled rejections (process exit without a handler)${of}`, "count", unhandled, {
          ratios: false,
          target: { text: "0", pass: unhandled.ours === 0 },
        }),
        row(`429 answers${of}`, "count", throttled, { ratios: false }),
        row(runs > 1 ? `wall time, best of ${runs} runs` : "wall time", "ms", wall),
      ],
      notes,
    };
  },
  child: (contender, params) => child(contender, params as Params),
};
