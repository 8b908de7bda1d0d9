/**
 * Many processes on one machine (Node cluster, PM2): W worker processes start at once, each opens a
 * pg.Pool of 10 connections at once, all with an unmodified DefaultAzureCredential behind the same
 * managed identity endpoint, throttled as Azure's (5 concurrent, 20 requests per second, then 429).
 * Reports endpoint requests, 429 answers, failed first connections and the time until every worker
 * has all its connections.
 */
import pg from "pg";
import {
  type ContenderName,
  connectionConfig,
  contenderOrder,
  makeCredential,
  passwordFor,
  TOKEN_CONTENDERS,
} from "../contenders.js";
import { errorSummary, sleep, statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface WorkerParams {
  poolSize: number;
  user: string;
}

interface WorkerResult {
  failed: number;
  /** Date.now() when every connection of this worker had answered (or failed). */
  doneAt: number;
  errors: string[];
}

async function worker(contender: ContenderName, params: WorkerParams): Promise<WorkerResult> {
  const password = passwordFor(contender, makeCredential("default"), undefined);
  const pool = new pg.Pool({
    ...connectionConfig(params.user, password),
    max: params.poolSize,
    connectionTimeoutMillis: 90_000,
  });
  pool.on("error", () => undefined);
  const settled = await Promise.allSettled(
    Array.from({ length: params.poolSize }, async () => {
      const client = await pool.connect();
      try {
        await client.query("select 1");
      } finally {
        client.release();
      }
    }),
  );
  const doneAt = Date.now();
  const errors = new Set<string>();
  let failed = 0;
  for (const outcome of settled) {
    if (outcome.status === "rejected") {
      failed += 1;
      errors.add(errorSummary(outcome.reason));
    }
  }
  await Promise.race([pool.end(), sleep(5_000)]);
  return { failed, doneAt, errors: [...errors].slice(0, 2) };
}

export const manyProcessesScenario: Scenario = {
  id: "many-processes",
  title: "16 worker processes start at once (throttled endpoint)",
  async parent(ctx) {
    const { emu } = ctx;
    const workers = bySize(ctx.mode, { full: 16, quick: 16, smoke: 2 });
    const poolSize = bySize(ctx.mode, { full: 10, quick: 10, smoke: 2 });
    const runs = bySize(ctx.mode, { full: 2, quick: 1, smoke: 1 });
    const mi = emu.principals.managedIdentity;
    const failed: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const requests: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const answered429: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const allConnected: Record<ContenderName, number[]> = { static: [], microsoft: [], ours: [] };
    const notes: string[] = [];
    const max = (a: Figure, b: number) => Math.max(a ?? 0, b);
    emu.configurePrincipal(mi.name, { latencyMs: 50, throttle: true });
    try {
      for (let run = 0; run < runs; run++) {
        for (const contender of contenderOrder(run, TOKEN_CONTENDERS)) {
          await sleep(1_100); // a fresh throttle window
          const before = emu.stats();
          const started = Date.now();
          const outcomes = await Promise.allSettled(
            Array.from({ length: workers }, () =>
              ctx.runChild<WorkerResult>(
                { scenario: this.id, contender, params: { poolSize, user: mi.roleName } },
                {},
                180_000,
              ),
            ),
          );
          const delta = statsDelta(before, emu.stats());
          let failedNow = 0;
          let doneAt = started;
          const errors = new Set<string>();
          for (const outcome of outcomes) {
            if (outcome.status === "rejected") {
              failedNow += poolSize;
              errors.add(String(outcome.reason).split("\n")[0]!.slice(0, 160));
              doneAt = Math.max(doneAt, Date.now());
            } else {
              failedNow += outcome.value.failed;
              doneAt = Math.max(doneAt, outcome.value.doneAt);
              for (const e of outcome.value.errors) errors.add(e);
            }
          }
          failed[contender] = max(failed[contender], failedNow);
          requests[contender] = max(requests[contender], delta.requests(mi.name, "managedIdentityEndpoint"));
          answered429[contender] = max(answered429[contender], delta.throttled);
          allConnected[contender].push(doneAt - started);
          if (errors.size > 0)
            notes.push(
              `${contender}, run ${run + 1}: ${failedNow} failed, e.g. "${[...errors].slice(0, 2).join('"; "')}"`,
            );
          ctx.log(
            `${this.id} run ${run + 1}/${runs} ${contender}: ${doneAt - started} ms, failed ${failedNow}, requests ${delta.requests(mi.name, "managedIdentityEndpoint")}, 429s ${delta.throttled}`,
          );
        }
      }
    } finally {
      emu.configurePrincipal(mi.name, { latencyMs: 0, throttle: undefined });
    }
    const best = (values: number[]) => (values.length === 0 ? null : Math.min(...values));
    const of = runs > 1 ? `, worst of ${runs} runs` : "";
    return {
      id: this.id,
      title: this.title,
      ran:
        `${workers} child processes started at once, each a pg.Pool (max ${poolSize}) opening ${poolSize} connections at once + select 1, ` +
        `DefaultAzureCredential → one managed identity endpoint (50 ms latency, 5 concurrent, 20/s, then 429 with Retry-After: 1). ` +
        `Time from spawning the workers until the last worker has all its connections (includes process start-up).`,
      rows: [
        row(`failed first connections${of}`, "count", failed, {
          ratios: false,
          target: { text: "0 failed", pass: failed.ours === 0 },
        }),
        row(runs > 1 ? `time to all connected, best of ${runs} runs` : "time to all connected", "ms", {
          static: null,
          microsoft: best(allConnected.microsoft),
          ours: best(allConnected.ours),
        }),
        row(`token endpoint requests${of}`, "count", requests, { ratios: false }),
        row(`429 answers${of}`, "count", answered429, { ratios: false }),
      ],
      notes: ["static needs no token: —.", ...notes],
    };
  },
  child: (contender, params) => worker(contender, params as WorkerParams),
};
