/**
 * Cost of one call of a warm password function, in a child process:
 * - with an instant fake credential (fixed valid token, no I/O): the provider's own overhead;
 * - with a warm DefaultAzureCredential on the emulator's managed identity endpoint: what an app
 *   pays per new connection once a token is cached somewhere (ours: our cache; microsoft: the
 *   credential chain and MSAL's cache).
 */
import {
  type ContenderName,
  type CredentialKind,
  makeCredential,
  passwordFor,
  TOKEN_CONTENDERS,
} from "../contenders.js";
import { median, statsDelta } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface ProviderCallParams {
  measurements: Array<{ credential: CredentialKind; iterations: number }>;
  repeats: number;
}

interface ProviderCallChildResult {
  nsPerCall: Partial<Record<CredentialKind, number>>;
}

// What pg (>= 8.19) passes to a password function: its connection parameters.
const connectionParameters = { host: "localhost", port: 5432, user: "orders-api-identity", database: "appdb" };

async function timeCalls(password: (parameters?: object) => Promise<string>, iterations: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await password(connectionParameters);
  return Number(process.hrtime.bigint() - started) / iterations;
}

async function providerCallChild(
  contender: ContenderName,
  params: ProviderCallParams,
): Promise<ProviderCallChildResult> {
  const nsPerCall: Partial<Record<CredentialKind, number>> = {};
  for (const { credential: kind, iterations } of params.measurements) {
    const password = passwordFor(contender, makeCredential(kind), undefined);
    if (typeof password === "string") throw new Error("expected a password function");
    await password(); // first call: fetches the token
    await timeCalls(password, Math.min(iterations, 2_000)); // warm-up (JIT)
    const runs: number[] = [];
    for (let r = 0; r < params.repeats; r++) runs.push(await timeCalls(password, iterations));
    nsPerCall[kind] = median(runs);
  }
  return { nsPerCall };
}

export const providerCallScenario: Scenario = {
  id: "provider-call",
  title: "Cached provider call",
  async parent(ctx) {
    const { emu } = ctx;
    const instantIterations = bySize(ctx.mode, { full: 200_000, quick: 200_000, smoke: 2_000 });
    const defaultIterations: Record<ContenderName, number> = {
      static: 0,
      microsoft: bySize(ctx.mode, { full: 2_000, quick: 1_000, smoke: 50 }),
      ours: bySize(ctx.mode, { full: 200_000, quick: 100_000, smoke: 2_000 }),
    };
    const repeats = bySize(ctx.mode, { full: 5, quick: 3, smoke: 1 });
    const instant: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const warmDefault: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const requests: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const mi = emu.principals.managedIdentity;
    for (const contender of TOKEN_CONTENDERS) {
      const params: ProviderCallParams = {
        measurements: [
          { credential: "instant", iterations: instantIterations },
          { credential: "default", iterations: defaultIterations[contender] },
        ],
        repeats,
      };
      const before = emu.stats();
      const result = await ctx.runChild<ProviderCallChildResult>({ scenario: this.id, contender, params }, {}, 300_000);
      requests[contender] = statsDelta(before, emu.stats()).requests(mi.name, "managedIdentityEndpoint");
      instant[contender] = result.nsPerCall.instant ?? null;
      warmDefault[contender] = result.nsPerCall.default ?? null;
      ctx.log(
        `${this.id} ${contender}: instant ${instant[contender]?.toFixed(0)} ns, DefaultAzureCredential ${warmDefault[contender]?.toFixed(0)} ns`,
      );
    }
    return {
      id: this.id,
      title: this.title,
      ran:
        `await password(connectionParameters) (as pg calls it) in a loop after warm-up, median of ${repeats} runs: ${instantIterations} calls with an instant fake credential; ` +
        `with a warm DefaultAzureCredential (managed identity endpoint): ${defaultIterations.microsoft} calls (microsoft), ${defaultIterations.ours} (ours).`,
      rows: [
        row("ns per call, instant fake credential", "ns", instant, {
          target: { text: "< 1 µs", pass: (instant.ours ?? Infinity) < 1_000 },
        }),
        row("ns per call, warm DefaultAzureCredential", "ns", warmDefault),
        row("token endpoint requests during the loop", "count", requests, { ratios: false }),
      ],
      notes: ["static has no provider: —."],
    };
  },
  child: (contender, params) => providerCallChild(contender, params as ProviderCallParams),
};
