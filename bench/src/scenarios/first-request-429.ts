/**
 * Connection storm whose first token request is answered 429 (with Retry-After: 1) by the managed
 * identity endpoint: N pg.Clients connect at once with an unmodified DefaultAzureCredential. Ours
 * retries the shared request within timeoutMs; the question is how many connections fail and how
 * long the storm takes.
 */

import { pgConnectionStorm, type StormOutcome } from "../connection-storm.js";
import {
  type ContenderName,
  connectionConfig,
  contenderOrder,
  makeCredential,
  passwordFor,
  TOKEN_CONTENDERS,
} from "../contenders.js";
import { statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface StormParams {
  connections: number;
  user: string;
}

function child(contender: ContenderName, params: StormParams): Promise<StormOutcome> {
  const password = passwordFor(contender, makeCredential("default"), undefined);
  return pgConnectionStorm(connectionConfig(params.user, password), params.connections);
}

export const firstRequest429Scenario: Scenario = {
  id: "first-request-429",
  title: "Storm, first token request answered 429",
  async parent(ctx) {
    const { emu } = ctx;
    const connections = bySize(ctx.mode, { full: 200, quick: 200, smoke: 5 });
    const runs = bySize(ctx.mode, { full: 3, quick: 1, smoke: 1 });
    const mi = emu.principals.managedIdentity;
    const failed: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const walls: Record<ContenderName, number[]> = { static: [], microsoft: [], ours: [] };
    const requests: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const answered429: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const notes: string[] = [];
    const max = (a: Figure, b: number) => Math.max(a ?? 0, b);
    try {
      for (let run = 0; run < runs; run++) {
        for (const contender of contenderOrder(run, TOKEN_CONTENDERS)) {
          // The endpoint's own throttle stays as Azure's (5 concurrent, 20/s); the first request gets 429 regardless.
          emu.configurePrincipal(mi.name, { latencyMs: 50, failNext: 1, failStatus: 429, throttle: undefined });
          const before = emu.stats();
          const result = await ctx.runChild<StormOutcome>({
            scenario: this.id,
            contender,
            params: { connections, user: mi.roleName },
          });
          const delta = statsDelta(before, emu.stats());
          failed[contender] = max(failed[contender], result.failed);
          walls[contender].push(result.wallMs);
          requests[contender] = max(requests[contender], delta.requests(mi.name, "managedIdentityEndpoint"));
          answered429[contender] = max(answered429[contender], delta.throttled + delta.failed);
          if (result.errors.length > 0)
            notes.push(`${contender}, run ${run + 1}: ${result.failed} failed, e.g. "${result.errors.join('"; "')}"`);
          ctx.log(
            `${this.id} run ${run + 1}/${runs} ${contender}: ${result.wallMs.toFixed(0)} ms, failed ${result.failed}`,
          );
        }
      }
    } finally {
      emu.configurePrincipal(mi.name, { latencyMs: 0, failNext: 0, failStatus: undefined, throttle: undefined });
    }
    const wall = { static: null, microsoft: Math.min(...walls.microsoft), ours: Math.min(...walls.ours) };
    const of = runs > 1 ? `, worst of ${runs} runs` : "";
    return {
      id: this.id,
      title: this.title,
      ran:
        `${connections} pg.Clients connecting at once + select 1, DefaultAzureCredential → managed identity endpoint (50 ms latency, ` +
        `throttle as Azure's: 5 concurrent, 20/s); the endpoint answers the first request 429 with Retry-After: 1 (${runs} run${runs > 1 ? "s" : ""} per contender, fresh processes).`,
      rows: [
        row(`failed connections${of}`, "count", failed, {
          ratios: false,
          target: { text: "0 failed", pass: failed.ours === 0 },
        }),
        row(runs > 1 ? `wall time, best of ${runs} runs` : "wall time", "ms", wall),
        row(`token endpoint requests${of}`, "count", requests, { ratios: false }),
        row(`429 answers${of}`, "count", answered429, { ratios: false }),
      ],
      notes: ["static needs no token: —.", ...notes],
    };
  },
  child: (contender, params) => child(contender, params as StormParams),
};
