/**
 * Churn: sequential connect / select 1 / close, timing each connect. Runs in rounds whose
 * contender order alternates (static, microsoft, ours, then ours, microsoft, static), so slow
 * drift of this shared machine does not favour one contender. Memory is read in the child at the end.
 */
import pg from "pg";
import {
  CONTENDERS,
  type ContenderName,
  connectionConfig,
  contenderOrder,
  makeCredential,
  passwordFor,
} from "../contenders.js";
import { errorSummary, percentile, statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface ChurnParams {
  connections: number;
  warmup: number;
  user: string;
  staticPassword?: string;
  /** Also time, interleaved, connections that send the provider's token as a fixed string (no provider call). */
  fixedToken: boolean;
}

interface ChurnChildResult {
  connectMs: number[];
  fixedTokenConnectMs: number[];
  failed: number;
  errors: string[];
  heapUsedMiB: number;
  rssMiB: number;
}

const LATENCY_MS = 50;
const MiB = 2 ** 20;

async function churnChild(contender: ContenderName, params: ChurnParams): Promise<ChurnChildResult> {
  const credential = contender === "static" ? undefined : makeCredential("default");
  const password = passwordFor(contender, credential, params.staticPassword);
  const config = { ...connectionConfig(params.user, password), connectionTimeoutMillis: 30_000 };
  const connectMs: number[] = [];
  const fixedTokenConnectMs: number[] = [];
  const errors = new Set<string>();
  let failed = 0;
  const once = async (clientConfig: pg.ClientConfig, into: number[] | undefined) => {
    const client = new pg.Client(clientConfig);
    try {
      const started = performance.now();
      await client.connect();
      const elapsed = performance.now() - started;
      await client.query("select 1");
      into?.push(elapsed);
    } catch (error) {
      failed += 1;
      errors.add(errorSummary(error));
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const fixedConfig =
    params.fixedToken && typeof password === "function" ? { ...config, password: await password() } : undefined;
  for (let i = 0; i < params.warmup + params.connections; i++) {
    const timed = i >= params.warmup;
    await once(config, timed ? connectMs : undefined);
    if (fixedConfig) await once(fixedConfig, timed ? fixedTokenConnectMs : undefined);
  }
  const memory = process.memoryUsage();
  return {
    connectMs,
    fixedTokenConnectMs,
    failed,
    errors: [...errors].slice(0, 3),
    heapUsedMiB: memory.heapUsed / MiB,
    rssMiB: memory.rss / MiB,
  };
}

export const churnScenario: Scenario = {
  id: "churn",
  title: "Churn: sequential connect / query / close",
  async parent(ctx) {
    const { emu } = ctx;
    const rounds = bySize(ctx.mode, { full: 2, quick: 2, smoke: 1 });
    const perRound = bySize(ctx.mode, { full: 500, quick: 100, smoke: 10 });
    const warmup = 3;
    const mi = emu.principals.managedIdentity;
    emu.configurePrincipal(mi.name, { latencyMs: LATENCY_MS });
    const latencies: Record<ContenderName, number[]> = { static: [], microsoft: [], ours: [] };
    const fixedTokenLatencies: number[] = [];
    const requests: Record<ContenderName, Figure> = { static: null, microsoft: 0, ours: 0 };
    const failed: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
    const heap: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
    const rss: Record<ContenderName, Figure> = { static: 0, microsoft: 0, ours: 0 };
    const notes: string[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const order = contenderOrder(round, CONTENDERS);
        for (const contender of order) {
          const isStatic = contender === "static";
          const params: ChurnParams = isStatic
            ? {
                connections: perRound,
                warmup,
                user: emu.principals.passwordRole.roleName,
                staticPassword: emu.principals.passwordRole.password,
                fixedToken: false,
              }
            : { connections: perRound, warmup, user: mi.roleName, fixedToken: contender === "ours" };
          const before = emu.stats();
          const result = await ctx.runChild<ChurnChildResult>({ scenario: this.id, contender, params }, {}, 300_000);
          const delta = statsDelta(before, emu.stats());
          latencies[contender].push(...result.connectMs);
          fixedTokenLatencies.push(...result.fixedTokenConnectMs);
          if (!isStatic)
            requests[contender] = (requests[contender] ?? 0) + delta.requests(mi.name, "managedIdentityEndpoint");
          failed[contender] = (failed[contender] ?? 0) + result.failed;
          heap[contender] = Math.max(heap[contender] ?? 0, result.heapUsedMiB);
          rss[contender] = Math.max(rss[contender] ?? 0, result.rssMiB);
          if (result.errors.length > 0)
            notes.push(`${contender}: ${result.failed} failed, e.g. "${result.errors.join('"; "')}"`);
          ctx.log(
            `${this.id} round ${round + 1}/${rounds} ${contender}: p50 ${percentile(result.connectMs, 50).toFixed(2)} ms`,
          );
        }
      }
    } finally {
      emu.configurePrincipal(mi.name, { latencyMs: 0 });
    }
    const p = (q: number) =>
      Object.fromEntries(CONTENDERS.map((c) => [c, percentile(latencies[c], q)])) as Record<ContenderName, Figure>;
    const p50 = p(50);
    const p99 = p(99);
    const limit = 1.05 * (p50.static ?? Number.NaN);
    return {
      id: this.id,
      title: this.title,
      ran:
        `${rounds * perRound} sequential connect / select 1 / close per contender (${rounds} child process${rounds > 1 ? "es" : ""} × ${perRound}, ` +
        `contender order alternating per round, ${warmup} untimed warm-up connections per process); ` +
        `DefaultAzureCredential → managed identity endpoint (${LATENCY_MS} ms latency); memory = max over processes, read at the end.`,
      rows: [
        row("connect p50", "ms", p50, {
          target: { text: `within 5% of static (≤ ${limit.toFixed(2)} ms)`, pass: (p50.ours ?? Infinity) <= limit },
        }),
        row("connect p99", "ms", p99),
        row("connect p50, same token as a fixed string, no provider (diagnostic)", "ms", {
          static: null,
          microsoft: null,
          ours: percentile(fixedTokenLatencies, 50),
        }),
        row("token endpoint requests", "count", requests, { ratios: false }),
        row("failed connections", "count", failed, { ratios: false }),
        row("heapUsed at end", "MiB", heap),
        row("RSS at end", "MiB", rss),
      ],
      notes: [
        ...notes,
        "The diagnostic row times, interleaved in ours' processes, connections that send the very token the provider returned " +
          "as a plain string: the gap between it and static is the server-side token check (a ~1 KB cleartext password, RS256 " +
          "signature and claims checked by the emulator's front), which no client-side provider can remove; the gap between it " +
          "and ours is the provider's own cost. Ours' processes therefore open twice as many connections, which their memory figures include.",
      ],
    };
  },
  child: (contender, params) => churnChild(contender, params as ChurnParams),
};
