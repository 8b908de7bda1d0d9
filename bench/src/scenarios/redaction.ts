/**
 * Redaction cost: a credential that throws an error with a 1 MB message (shapes that made a
 * backtracking pattern take seconds: a long run of "eyJ" with no dots, and many real JWTs). Measures
 * how long the password function takes to reject, i.e. how long the event loop is blocked turning
 * the error into ours (message, stack and cause redacted). Microsoft's package rethrows unchanged.
 */
import { type ContenderName, passwordFor, TOKEN_CONTENDERS } from "../contenders.js";
import { median } from "../measure.js";
import { bySize, type Figure, row, type Scenario } from "../scenario.js";

interface RedactionParams {
  sizeBytes: number;
  repeats: number;
}

interface RedactionChildResult {
  msPerFailure: Record<"eyJ run" | "many JWTs", number>;
}

function jwtLike(n: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ upn: `user${n}@contoso.com`, n })}.${part({ sig: n })}`;
}

async function redactionChild(contender: ContenderName, params: RedactionParams): Promise<RedactionChildResult> {
  const texts = {
    "eyJ run": "eyJ".repeat(Math.ceil(params.sizeBytes / 3)),
    "many JWTs": Array.from({ length: Math.ceil(params.sizeBytes / 120) }, (_, i) => `bad answer ${jwtLike(i)}`).join(
      " ",
    ),
  };
  const msPerFailure = {} as RedactionChildResult["msPerFailure"];
  for (const [shape, text] of Object.entries(texts) as Array<[keyof typeof texts, string]>) {
    const credential = {
      getToken: async () => {
        throw new Error(text);
      },
    };
    const password = passwordFor(contender, credential, undefined);
    if (typeof password === "string") throw new Error("expected a password function");
    const runs: number[] = [];
    for (let r = 0; r < params.repeats; r++) {
      const started = performance.now();
      await password().then(
        () => {
          throw new Error("expected the credential's failure");
        },
        () => undefined,
      );
      runs.push(performance.now() - started);
    }
    msPerFailure[shape] = median(runs);
  }
  return { msPerFailure };
}

export const redactionScenario: Scenario = {
  id: "redaction",
  title: "1 MB credential error (redaction)",
  async parent(ctx) {
    const sizeBytes = bySize(ctx.mode, { full: 1_048_576, quick: 1_048_576, smoke: 65_536 });
    const repeats = bySize(ctx.mode, { full: 5, quick: 3, smoke: 1 });
    const run: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    const jwts: Record<ContenderName, Figure> = { static: null, microsoft: null, ours: null };
    for (const contender of TOKEN_CONTENDERS) {
      const result = await ctx.runChild<RedactionChildResult>({
        scenario: this.id,
        contender,
        params: { sizeBytes, repeats },
      });
      run[contender] = result.msPerFailure["eyJ run"];
      jwts[contender] = result.msPerFailure["many JWTs"];
      ctx.log(
        `${this.id} ${contender}: eyJ run ${run[contender]?.toFixed(1)} ms, many JWTs ${jwts[contender]?.toFixed(1)} ms`,
      );
    }
    const pass = (value: Figure) => value !== null && value < 100;
    return {
      id: this.id,
      title: this.title,
      ran:
        `a credential throws an Error whose message is ${(sizeBytes / 1024).toFixed(0)} KB; time until password() rejects, median of ${repeats} ` +
        `(a fresh password function per shape, cache on). Shapes: "eyJ" repeated (no dots), and ~${Math.ceil(sizeBytes / 120)} JWT-shaped strings.`,
      rows: [
        row('ms to fail, "eyJ" repeated', "ms", run, { target: { text: "< 100 ms", pass: pass(run.ours) } }),
        row("ms to fail, many JWTs", "ms", jwts, { target: { text: "< 100 ms", pass: pass(jwts.ours) } }),
      ],
      notes: [
        "microsoft rethrows the credential's error unchanged (no redaction, the token stays in the message): its figure is the floor.",
      ],
    };
  },
  child: (contender, params) => redactionChild(contender, params as RedactionParams),
};
