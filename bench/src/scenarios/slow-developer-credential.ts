/**
 * Slow developer credential: AzureCliCredential with a stand-in `az` that takes 300 ms; a pool of
 * 20 connections opened by 20 concurrent queries.
 */
import { AzureCliCredential } from "@azure/identity";
import pg from "pg";
import {
  CONTENDERS,
  type ContenderName,
  connectionConfig,
  contenderOrder,
  makeCredential,
  passwordFor,
} from "../contenders.js";
import { errorSummary, median, statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

const AZ_DELAY_MS = 300;
const SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

interface SlowDevParams {
  connections: number;
  user: string;
  staticPassword?: string;
  /** Static child only: also time single AzureCliCredential.getToken calls (the cost of "one az call"). */
  azCalls: number;
}

interface SlowDevChildResult {
  wallMs: number;
  failed: number;
  errors: string[];
  azCallMs: number | null;
}

async function slowDevChild(contender: ContenderName, params: SlowDevParams): Promise<SlowDevChildResult> {
  const credential = contender === "static" ? undefined : makeCredential("cli");
  const password = passwordFor(contender, credential, params.staticPassword);
  const pool = new pg.Pool({
    ...connectionConfig(params.user, password),
    max: params.connections,
    connectionTimeoutMillis: 60_000,
  });
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: params.connections }, () => pool.query("select 1")));
  const wallMs = performance.now() - started;
  await pool.end();
  const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
  let azCallMs: number | null = null;
  if (params.azCalls > 0) {
    const cli = new AzureCliCredential();
    const times: number[] = [];
    for (let i = 0; i < params.azCalls; i++) {
      const t = performance.now();
      await cli.getToken(SCOPE);
      times.push(performance.now() - t);
    }
    azCallMs = median(times);
  }
  return {
    wallMs,
    failed: rejected.length,
    errors: [...new Set(rejected.map((r) => errorSummary(r.reason)))].slice(0, 3),
    azCallMs,
  };
}

export const slowDeveloperCredentialScenario: Scenario = {
  id: "slow-developer-credential",
  title: "Slow developer credential (AzureCliCredential, az 300 ms)",
  async parent(ctx) {
    const { emu } = ctx;
    const connections = bySize(ctx.mode, { full: 20, quick: 20, smoke: 3 });
    const user = emu.principals.user;
    const az = await emu.createAzStandIn({ principal: user.name, delayMs: AZ_DELAY_MS });
    const extraEnv = { PATH: `${az.binDir}:${process.env.PATH ?? ""}` };
    const runs = bySize(ctx.mode, { full: 5, quick: 2, smoke: 1 });
    const spawns: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const failed: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
    const walls: Record<ContenderName, number[]> = { static: [], microsoft: [], ours: [] };
    let azCallMs = Number.NaN;
    const notes: string[] = [];
    for (let run = 0; run < runs; run++) {
      for (const contender of contenderOrder(run, CONTENDERS)) {
        const isStatic = contender === "static";
        const params: SlowDevParams = isStatic
          ? {
              connections,
              user: emu.principals.passwordRole.roleName,
              staticPassword: emu.principals.passwordRole.password,
              azCalls: run === 0 ? 3 : 0,
            }
          : { connections, user: user.roleName, azCalls: 0 };
        const before = emu.stats();
        const result = await ctx.runChild<SlowDevChildResult>({ scenario: this.id, contender, params }, extraEnv);
        const count = statsDelta(before, emu.stats()).requests(user.name, "az");
        if (!isStatic) spawns[contender] = Math.max(spawns[contender] ?? 0, count);
        walls[contender].push(result.wallMs);
        failed[contender] = Math.max(failed[contender] ?? 0, result.failed);
        if (result.azCallMs !== null) azCallMs = result.azCallMs;
        if (result.errors.length > 0)
          notes.push(`${contender}, run ${run + 1}: ${result.failed} failed, e.g. "${result.errors.join('"; "')}"`);
        ctx.log(
          `${this.id} run ${run + 1}/${runs} ${contender}: ${result.wallMs.toFixed(0)} ms, az spawns ${isStatic ? "—" : count}`,
        );
      }
    }
    const wall = Object.fromEntries(CONTENDERS.map((c) => [c, Math.min(...walls[c])])) as Record<ContenderName, Figure>;
    const of = runs > 1 ? `, worst of ${runs} runs` : "";
    const staticMs = wall.static ?? Number.NaN;
    const limit = 1.2 * (staticMs + azCallMs);
    const nominalLimit = 1.2 * (staticMs + AZ_DELAY_MS);
    const ours = wall.ours ?? Number.NaN;
    notes.push(
      `Target uses the measured cost of one az call (${azCallMs.toFixed(0)} ms = median of 3 AzureCliCredential.getToken calls: ` +
        `${AZ_DELAY_MS} ms stand-in delay + process start of the stand-in az, a Node script). ` +
        `Against the nominal 300 ms: limit ${nominalLimit.toFixed(0)} ms → ${ours <= nominalLimit ? "PASS" : "MISS"}.`,
    );
    return {
      id: this.id,
      title: this.title,
      ran: `pg.Pool max ${connections}, ${connections} concurrent "select 1" from cold (${runs} run${runs > 1 ? "s" : ""} per contender in fresh processes, order alternating); AzureCliCredential with a stand-in az (${AZ_DELAY_MS} ms delay) first on PATH.`,
      rows: [
        row(`az spawns${of}`, "count", spawns, { ratios: false, target: { text: "1 spawn", pass: spawns.ours === 1 } }),
        row(runs > 1 ? `time to run all queries, best of ${runs} runs` : "time to run all queries", "ms", wall, {
          target: { text: `≤ 1.2 × (static + one az call) = ${limit.toFixed(0)} ms`, pass: ours <= limit },
        }),
        row(
          "one az call (AzureCliCredential.getToken)",
          "ms",
          { static: azCallMs, microsoft: null, ours: null },
          { ratios: false },
        ),
        row(`failed queries${of}`, "count", failed, { ratios: false }),
      ],
      notes,
    };
  },
  child: (contender, params) => slowDevChild(contender, params as SlowDevParams),
};
