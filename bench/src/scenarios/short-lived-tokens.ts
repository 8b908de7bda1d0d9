/**
 * Short-lived tokens: managed identity tokens with a 5½-minute lifetime (MSAL treats a token with
 * ≤ 5 min left as expired), connections spread evenly over a window. The token contenders run in
 * parallel, each with its own managed identity (AZURE_CLIENT_ID in its environment, which the
 * emulator's endpoint honours as `client_id`), so their counts cannot mix.
 */
import pg from "pg";
import { type ContenderName, connectionConfig, makeCredential, passwordFor, TOKEN_CONTENDERS } from "../contenders.js";
import { errorSummary, percentile, sleep } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface ShortLivedParams {
  connections: number;
  windowMs: number;
  user: string;
}

interface ShortLivedChildResult {
  failed: number;
  errors: string[];
  connectP50Ms: number;
  connectMaxMs: number;
  elapsedMs: number;
}

const LATENCY_MS = 50;

async function shortLivedChild(contender: ContenderName, params: ShortLivedParams): Promise<ShortLivedChildResult> {
  const password = passwordFor(contender, makeCredential("default"), undefined);
  const config = { ...connectionConfig(params.user, password), connectionTimeoutMillis: 30_000 };
  const started = performance.now();
  const connectMs: number[] = [];
  const errors = new Set<string>();
  let failed = 0;
  for (let i = 0; i < params.connections; i++) {
    await sleep(started + (i * params.windowMs) / params.connections - performance.now());
    const client = new pg.Client(config);
    try {
      const t = performance.now();
      await client.connect();
      connectMs.push(performance.now() - t);
      await client.query("select 1");
    } catch (error) {
      failed += 1;
      errors.add(errorSummary(error));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return {
    failed,
    errors: [...errors].slice(0, 3),
    connectP50Ms: percentile(connectMs, 50),
    connectMaxMs: percentile(connectMs, 100),
    elapsedMs: performance.now() - started,
  };
}

export const shortLivedTokensScenario: Scenario = {
  id: "short-lived-tokens",
  title: "Short-lived tokens (5½-minute class lifetime, managed identity endpoint)",
  async parent(ctx) {
    const { emu } = ctx;
    const connections = bySize(ctx.mode, { full: 200, quick: 100, smoke: 6 });
    const windowMs = bySize(ctx.mode, { full: 60_000, quick: 30_000, smoke: 2_000 });
    // Quick/smoke shorten the window to 30 s; a 315 s lifetime keeps MSAL's "≤ 5 min left = expired"
    // point inside that window (after 15 s), as 330 s does for the full 60 s window (after 30 s).
    const lifetimeSeconds = bySize(ctx.mode, { full: 330, quick: 315, smoke: 315 });
    const requests: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const failed: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const p50: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const notes: string[] = [];
    const runs = await Promise.all(
      TOKEN_CONTENDERS.map(async (contender) => {
        const name = `bench-short-lived-${contender}`;
        const principal = emu.principal(name) ?? (await emu.addPrincipal({ kind: "managedIdentity", name }));
        if (principal.kind !== "managedIdentity") throw new Error(`${name} is not a managed identity`);
        emu.configurePrincipal(name, { tokenLifetimeSeconds: lifetimeSeconds, latencyMs: LATENCY_MS });
        const before = emu.stats().tokenRequests.byPrincipalAndWay[name]?.managedIdentityEndpoint ?? 0;
        const result = await ctx.runChild<ShortLivedChildResult>(
          {
            scenario: this.id,
            contender,
            params: { connections, windowMs, user: principal.roleName } satisfies ShortLivedParams,
          },
          { AZURE_CLIENT_ID: principal.clientId },
          windowMs + 120_000,
        );
        const after = emu.stats().tokenRequests.byPrincipalAndWay[name]?.managedIdentityEndpoint ?? 0;
        return { contender, result, requests: after - before };
      }),
    );
    for (const { contender, result, requests: count } of runs) {
      requests[contender] = count;
      failed[contender] = result.failed;
      p50[contender] = result.connectP50Ms;
      if (result.errors.length > 0)
        notes.push(`${contender}: ${result.failed} failed, e.g. "${result.errors.join('"; "')}"`);
      ctx.log(
        `${this.id} ${contender}: ${count} requests, failed ${result.failed}, took ${(result.elapsedMs / 1000).toFixed(1)} s`,
      );
    }
    notes.push(
      "static is not run here: no token, and this scenario measures token requests only.",
      `MSAL refetches once a token has ≤ 5 min left, and the new token is again fresh for ${lifetimeSeconds - 300} s, so ` +
        `microsoft needs about one request per ${lifetimeSeconds - 300} s here, not one per connection (that would take a lifetime ≤ 5 min).`,
    );
    return {
      id: this.id,
      title: this.title,
      ran:
        `${connections} sequential connections spread evenly over ${windowMs / 1000} s, token lifetime ${lifetimeSeconds} s` +
        `${lifetimeSeconds === 330 ? " (5½ min)" : " (5¼ min, so MSAL's 5-minute expiry margin is crossed inside the shorter window)"}; ` +
        `microsoft and ours in parallel, each with its own managed identity (AZURE_CLIENT_ID → client_id), endpoint latency ${LATENCY_MS} ms, throttle at its default (on).`,
      rows: [
        row("token endpoint requests", "count", requests, {
          ratios: false,
          target: { text: "≤ 3", pass: (requests.ours ?? Infinity) <= 3 },
        }),
        row("failed connections", "count", failed, { ratios: false }),
        row("connect p50", "ms", p50),
      ],
      notes,
    };
  },
  child: (contender, params) => shortLivedChild(contender, params as ShortLivedParams),
};
