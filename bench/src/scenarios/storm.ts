/**
 * Connection storm: N pg.Clients connect at once (and run `select 1`) with an unmodified
 * DefaultAzureCredential that gets its token from the emulator's managed identity endpoint
 * (50 ms latency), with the endpoint's throttle off or on.
 */

import { pgConnectionStorm, type StormOutcome } from "../connection-storm.js";
import {
  CONTENDERS,
  type ContenderName,
  connectionConfig,
  contenderOrder,
  makeCredential,
  passwordFor,
} from "../contenders.js";
import { statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface StormParams {
  connections: number;
  user: string;
  staticPassword?: string;
}

const LATENCY_MS = 50;

function stormChild(contender: ContenderName, params: StormParams): Promise<StormOutcome> {
  const credential = contender === "static" ? undefined : makeCredential("default");
  const password = passwordFor(contender, credential, params.staticPassword);
  return pgConnectionStorm(connectionConfig(params.user, password), params.connections);
}

export function stormScenario(throttled: boolean): Scenario {
  const id = throttled ? "storm-throttled" : "storm";
  return {
    id,
    title: throttled ? "Storm, endpoint throttled (5 concurrent, 20/s, then 429)" : "Storm, endpoint not throttled",
    async parent(ctx) {
      const { emu } = ctx;
      const connections = bySize(ctx.mode, { full: 100, quick: 100, smoke: 5 });
      const runs = throttled
        ? bySize(ctx.mode, { full: 3, quick: 1, smoke: 1 })
        : bySize(ctx.mode, { full: 5, quick: 2, smoke: 1 });
      const mi = emu.principals.managedIdentity;
      emu.configurePrincipal(mi.name, { latencyMs: LATENCY_MS, throttle: throttled });
      const requests: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
      const throttledCount: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
      const failed: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
      const walls: Record<ContenderName, number[]> = { static: [], microsoft: [], ours: [] };
      const notes: string[] = [];
      const max = (a: Figure, b: number) => Math.max(a ?? 0, b);
      try {
        for (let run = 0; run < runs; run++) {
          for (const contender of contenderOrder(run, CONTENDERS)) {
            const isStatic = contender === "static";
            const params: StormParams = isStatic
              ? {
                  connections,
                  user: emu.principals.passwordRole.roleName,
                  staticPassword: emu.principals.passwordRole.password,
                }
              : { connections, user: mi.roleName };
            const before = emu.stats();
            const result = await ctx.runChild<StormOutcome>({ scenario: id, contender, params });
            const delta = statsDelta(before, emu.stats());
            const count = delta.requests(mi.name, "managedIdentityEndpoint");
            if (!isStatic) {
              requests[contender] = max(requests[contender], count);
              throttledCount[contender] = max(throttledCount[contender], delta.throttled);
            }
            walls[contender].push(result.wallMs);
            failed[contender] = max(failed[contender], result.failed);
            if (result.errors.length > 0)
              notes.push(`${contender}, run ${run + 1}: ${result.failed} failed, e.g. "${result.errors.join('"; "')}"`);
            ctx.log(
              `${id} run ${run + 1}/${runs} ${contender}: ${result.wallMs.toFixed(0)} ms, failed ${result.failed}, requests ${isStatic ? "—" : count}`,
            );
          }
        }
      } finally {
        emu.configurePrincipal(mi.name, { latencyMs: 0, throttle: undefined });
      }
      const wall = Object.fromEntries(CONTENDERS.map((c) => [c, Math.min(...walls[c])])) as Record<
        ContenderName,
        Figure
      >;
      const of = runs > 1 ? `, worst of ${runs} runs` : "";
      const best = runs > 1 ? `wall time, best of ${runs} runs` : "wall time";
      const rows = throttled
        ? [
            row(`failed connections${of}`, "count", failed, {
              ratios: false,
              target: { text: "0 failed", pass: failed.ours === 0 },
            }),
            row(best, "ms", wall),
            row(`token endpoint requests${of}`, "count", requests, { ratios: false }),
            row(`429 answers${of}`, "count", throttledCount, { ratios: false }),
          ]
        : [
            row(`token endpoint requests${of}`, "count", requests, {
              ratios: false,
              target: { text: "exactly 1", pass: requests.ours === 1 },
            }),
            row(best, "ms", wall),
            row(`failed connections${of}`, "count", failed, { ratios: false }),
          ];
      return {
        id,
        title: this.title,
        ran:
          `${connections} pg.Clients connecting at once + select 1 (${runs} run${runs > 1 ? "s" : ""} per contender in fresh processes, order alternating), DefaultAzureCredential → managed identity endpoint ` +
          `(${LATENCY_MS} ms latency, throttle ${throttled ? "on" : "off"}); static uses the password role.`,
        rows,
        notes,
      };
    },
    child: (contender, params) => stormChild(contender, params as StormParams),
  };
}
