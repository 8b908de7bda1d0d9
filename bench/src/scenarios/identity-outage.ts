/**
 * Identity outage: the managed identity endpoint answers HTTP 500 to every request for a minute
 * while 20 new pg.Clients a second connect (pg's connectionTimeoutMillis 5 s, as many pools set),
 * with an unmodified DefaultAzureCredential. The outage starts while the first token is valid and
 * lasts past its expiry. Measured: connections lost while the token was valid, how fast a
 * connection without a valid token gets an error (and whether it is a clear one or pg's own
 * timeout), the endpoint's requests per minute of outage, and how soon a connection succeeds once
 * the endpoint is back. The token contenders run one after the other, each with its own managed identity;
 * ours runs a second time with the credential's own retries off (`retryOptions: { maxRetries: 0 }`,
 * the README's advice), so that the cache's schedule is the only one.
 */
import { DefaultAzureCredential } from "@azure/identity";
import pg from "pg";
import { type ContenderName, connectionConfig, makeCredential, passwordFor, TOKEN_CONTENDERS } from "../contenders.js";
import { errorSummary, percentile, sleep } from "../measure.js";
import { bySize, type Figure, type RunMode, row, type Scenario } from "../scenario.js";

interface OutageParams {
  user: string;
  /** Epoch ms at which the child starts connecting (the parent's outage times are relative to it). */
  startAt: number;
  durationMs: number;
  intervalMs: number;
  connectTimeoutMs: number;
  /** Create DefaultAzureCredential with `retryOptions: { maxRetries: 0 }`. */
  noCredentialRetries?: boolean;
}

/** How a connection ended: ok, our EntraAuthError, the credential's own error, pg's timeout, a server refusal, other. */
type Ending = "ok" | "entra" | "credential" | "driver-timeout" | "server" | "other";

interface ConnectionRecord {
  start: number;
  end: number;
  ending: Ending;
  /** A token-free summary of the error, for failures. */
  error?: string;
}

interface OutageChildResult {
  /** Expiry of the first token the child used (from its `exp` claim). */
  firstExpiry: number | null;
  records: ConnectionRecord[];
  /** The credential's getToken calls (start and end, epoch ms; ok: returned a token). */
  tokenCalls: Array<{ start: number; end: number; ok: boolean }>;
  errors: string[];
}

interface Timeline {
  lifetimeSeconds: number;
  outageStartMs: number;
  outageEndMs: number;
  durationMs: number;
  intervalMs: number;
}

const CONNECT_TIMEOUT_MS = 5_000;

function timeline(mode: RunMode): Timeline {
  return bySize<Timeline>(mode, {
    // Token valid for 30 s; the outage from 5 s to 65 s covers the refresh window, expiry and 35 s after it.
    // Not shorter: MSAL dates a token's expiry from the start of the call that got it, and a failing
    // ManagedIdentityCredential call here takes ~20 s, so a shorter token could come back already "expired".
    full: { lifetimeSeconds: 30, outageStartMs: 5_000, outageEndMs: 65_000, durationMs: 75_000, intervalMs: 50 },
    quick: { lifetimeSeconds: 25, outageStartMs: 3_000, outageEndMs: 38_000, durationMs: 45_000, intervalMs: 50 },
    smoke: { lifetimeSeconds: 6, outageStartMs: 2_000, outageEndMs: 12_000, durationMs: 15_000, intervalMs: 200 },
  });
}

function ending(error: unknown): Ending {
  const e = error as { name?: string; message?: string; code?: unknown };
  const message = String(e?.message ?? error);
  if (e?.name === "EntraAuthError") return "entra";
  if (/timeout expired|connection timeout/i.test(message)) return "driver-timeout";
  if (typeof e?.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return "server";
  if (/Credential|AuthenticationError/.test(`${e?.name ?? ""} ${message}`)) return "credential";
  return "other";
}

function jwtExpiry(token: string): number | null {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

async function outageChild(contender: ContenderName, params: OutageParams): Promise<OutageChildResult> {
  const credential = params.noCredentialRetries
    ? new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } })
    : makeCredential("default");
  const tokenCalls: OutageChildResult["tokenCalls"] = [];
  const getToken = credential.getToken.bind(credential);
  credential.getToken = async (scopes, options) => {
    const start = Date.now();
    try {
      const token = await getToken(scopes, options);
      tokenCalls.push({ start, end: Date.now(), ok: true });
      return token;
    } catch (error) {
      tokenCalls.push({ start, end: Date.now(), ok: false });
      throw error;
    }
  };
  const base = passwordFor(contender, credential, undefined) as () => Promise<string>;
  let firstExpiry: number | null = null;
  const password = async () => {
    const token = await base();
    firstExpiry ??= jwtExpiry(token);
    return token;
  };
  const config = { ...connectionConfig(params.user, password), connectionTimeoutMillis: params.connectTimeoutMs };
  const records: ConnectionRecord[] = [];
  const errors = new Set<string>();
  const one = async () => {
    const start = Date.now();
    const client = new pg.Client(config);
    client.on("error", () => undefined);
    let end: Ending = "ok";
    let summary: string | undefined;
    try {
      await client.connect();
      await client.query("select 1");
    } catch (error) {
      end = ending(error);
      summary = errorSummary(error, 160);
      if (errors.size < 6) errors.add(`${end}: ${summary}`);
    }
    records.push({ start, end: Date.now(), ending: end, ...(summary !== undefined && { error: summary }) });
    await client.end().catch(() => undefined);
  };
  await sleep(params.startAt - Date.now());
  const pending: Promise<void>[] = [];
  for (let i = 0; i * params.intervalMs < params.durationMs; i++) {
    await sleep(params.startAt + i * params.intervalMs - Date.now());
    pending.push(one());
  }
  await Promise.all(pending);
  return { firstExpiry, records: records.sort((a, b) => a.start - b.start), tokenCalls, errors: [...errors] };
}

interface ContenderFigures {
  lostWhileValid: number;
  firstErrorMs: number | null;
  firstErrorEnding: Ending | null;
  errorP95Ms: number | null;
  driverTimeouts: number;
  requestsPerMinute: number;
  /** Credential calls started during the outage, per minute. */
  callsPerMinute: number;
  recoveryMs: number | null;
  /** From the credential's first token after the outage to the first connection that succeeded with it. */
  afterCredentialMs: number | null;
  /** The first connection lost while the token was valid: when (relative to the token's expiry) and why. */
  firstLost: string | null;
  /** The credential call that returned the first token after the outage: its start and end, relative to the outage's end. */
  recoveringCall: { startMs: number; endMs: number } | null;
}

/** The end of the first connection that succeeded at or after `at` (epoch ms), if any. */
function firstSuccessAfter(records: readonly ConnectionRecord[], at: number): number | undefined {
  const ends = records.filter((r) => r.ending === "ok" && r.end >= at).map((r) => r.end);
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

function figures(
  result: OutageChildResult,
  outageStart: number,
  outageEnd: number,
  requestsDuringOutage: number,
): ContenderFigures {
  const expiry = result.firstExpiry ?? Number.NaN;
  const minutes = (outageEnd - outageStart) / 60_000;
  const failed = (r: ConnectionRecord) => r.ending !== "ok";
  // Started while the first token still had over a second left (a login takes time): nothing should fail.
  const whileValid = result.records.filter((r) => r.start >= outageStart && r.start < expiry - 1_000);
  // Started without a valid token, early enough that pg's 5 s timeout would end inside the outage.
  const noToken = result.records.filter((r) => r.start >= expiry && r.start < outageEnd - CONNECT_TIMEOUT_MS);
  const first = noToken[0];
  const errorTimes = noToken.filter(failed).map((r) => r.end - r.start);
  const inOutage = result.records.filter((r) => r.start >= outageStart && r.start < outageEnd);
  const recovered = firstSuccessAfter(result.records, outageEnd);
  const recoveringCall = result.tokenCalls.filter((c) => c.ok && c.end >= outageEnd).sort((a, b) => a.end - b.end)[0];
  const afterCredential = recoveringCall && firstSuccessAfter(result.records, recoveringCall.end);
  return {
    lostWhileValid: whileValid.filter(failed).length,
    firstLost: ((lost) =>
      lost ? `${((lost.start - expiry) / 1000).toFixed(1)} s before expiry: ${lost.error}` : null)(
      whileValid.find(failed),
    ),
    firstErrorMs: first && failed(first) ? first.end - first.start : null,
    firstErrorEnding: first ? first.ending : null,
    errorP95Ms: errorTimes.length > 0 ? percentile(errorTimes, 95) : null,
    driverTimeouts: inOutage.filter((r) => r.ending === "driver-timeout").length,
    requestsPerMinute: requestsDuringOutage / minutes,
    callsPerMinute: result.tokenCalls.filter((c) => c.start >= outageStart && c.start < outageEnd).length / minutes,
    recoveryMs: recovered === undefined ? null : recovered - outageEnd,
    afterCredentialMs:
      recoveringCall === undefined || afterCredential === undefined ? null : afterCredential - recoveringCall.end,
    recoveringCall: recoveringCall
      ? { startMs: recoveringCall.start - outageEnd, endMs: recoveringCall.end - outageEnd }
      : null,
  };
}

/** Ours again with DefaultAzureCredential's own retries off: the cache's schedule alone (the ours column). */
function noRetriesRows(f: ContenderFigures | undefined) {
  const ours = (value: number | null | undefined): Record<ContenderName, Figure> => ({
    static: null,
    microsoft: null,
    ours: value ?? null,
  });
  const label = "ours, credential retryOptions { maxRetries: 0 }:";
  return f === undefined
    ? []
    : [
        row(`${label} connections lost while the token was valid`, "count", ours(f.lostWhileValid), {
          ratios: false,
          target: { text: "0", pass: f.lostWhileValid === 0 },
        }),
        row(`${label} first connection without a valid token: time to its error`, "ms", ours(f.firstErrorMs), {
          ratios: false,
          target: {
            text: "≤ 3.5 s, an EntraAuthError",
            pass: f.firstErrorMs !== null && f.firstErrorMs <= 3_500 && f.firstErrorEnding === "entra",
          },
        }),
        row(`${label} time to the error without a valid token, p95`, "ms", ours(f.errorP95Ms), {
          ratios: false,
          target: {
            text: `< ${CONNECT_TIMEOUT_MS} ms`,
            pass: f.errorP95Ms !== null && f.errorP95Ms < CONNECT_TIMEOUT_MS,
          },
        }),
        row(`${label} endpoint requests per minute of outage`, "count", ours(f.requestsPerMinute), {
          ratios: false,
          target: { text: "≤ 103 (at most 6 per 3.5 s)", pass: f.requestsPerMinute <= 103 },
        }),
        row(`${label} time to recover after the endpoint is back`, "ms", ours(f.recoveryMs), {
          ratios: false,
          target: { text: "≤ 1 s", pass: f.recoveryMs !== null && f.recoveryMs <= 1_000 },
        }),
      ];
}

export const identityOutageScenario: Scenario = {
  id: "identity-outage",
  title: "Identity outage (managed identity endpoint answers 500)",
  async parent(ctx) {
    const { emu } = ctx;
    const t = timeline(ctx.mode);
    // One contender at a time: the emulator runs in this process, and microsoft's flood of requests
    // would slow the TLS front for ours (and the other way round) if they ran side by side.
    const runs: Array<{ contender: ContenderName; result: OutageChildResult; f: ContenderFigures }> = [];
    let noRetries: { result: OutageChildResult; f: ContenderFigures } | undefined;
    const variants = [
      ...TOKEN_CONTENDERS.map((contender) => ({ contender, noCredentialRetries: false })),
      { contender: "ours" as ContenderName, noCredentialRetries: true },
    ];
    for (const { contender, noCredentialRetries } of variants) {
      const name = `bench-outage-${contender}${noCredentialRetries ? "-no-credential-retries" : ""}`;
      const principal = emu.principal(name) ?? (await emu.addPrincipal({ kind: "managedIdentity", name }));
      if (principal.kind !== "managedIdentity") throw new Error(`${name} is not a managed identity`);
      emu.configurePrincipal(name, { tokenLifetimeSeconds: t.lifetimeSeconds, latencyMs: 0, outage: false });
      const requests = () => emu.stats().tokenRequests.byPrincipalAndWay[name]?.managedIdentityEndpoint ?? 0;
      const startAt = Date.now() + 3_000; // the child loaded and waiting
      const outageStart = startAt + t.outageStartMs;
      const outageEnd = startAt + t.outageEndMs;
      let atStart = 0;
      let atEnd = 0;
      const flips = Promise.all([
        sleep(outageStart - Date.now()).then(() => {
          atStart = requests();
          emu.configurePrincipal(name, { outage: true });
        }),
        sleep(outageEnd - Date.now()).then(() => {
          emu.configurePrincipal(name, { outage: false });
          atEnd = requests();
        }),
      ]);
      try {
        const result = await ctx.runChild<OutageChildResult>(
          {
            scenario: this.id,
            contender,
            params: {
              user: principal.roleName,
              startAt,
              durationMs: t.durationMs,
              intervalMs: t.intervalMs,
              connectTimeoutMs: CONNECT_TIMEOUT_MS,
              noCredentialRetries,
            } satisfies OutageParams,
          },
          { AZURE_CLIENT_ID: principal.clientId },
          t.durationMs + 120_000,
        );
        await flips;
        const f = figures(result, outageStart, outageEnd, atEnd - atStart);
        if (noCredentialRetries) noRetries = { result, f };
        else runs.push({ contender, result, f });
        ctx.log(
          `${this.id} ${contender}${noCredentialRetries ? " (credential retries off)" : ""}: lost while valid ${f.lostWhileValid}, first error ${f.firstErrorMs} ms (${f.firstErrorEnding}), ` +
            `p95 ${f.errorP95Ms} ms, pg timeouts ${f.driverTimeouts}, ${f.callsPerMinute.toFixed(0)} calls/min, ` +
            `${f.requestsPerMinute.toFixed(0)} requests/min, recovery ${f.recoveryMs} ms`,
        );
      } finally {
        await flips;
        emu.configurePrincipal(name, { outage: false });
      }
    }
    const empty = (): Record<ContenderName, Figure> => ({ static: null, microsoft: null, ours: null });
    const lost = empty();
    const firstError = empty();
    const p95 = empty();
    const timeouts = empty();
    const perMinute = empty();
    const callsPerMinute = empty();
    const recovery = empty();
    const afterCredential = empty();
    const notes: string[] = [];
    let oursFirstEnding: Ending | null = null;
    for (const { contender, result, f } of runs) {
      lost[contender] = f.lostWhileValid;
      firstError[contender] = f.firstErrorMs;
      p95[contender] = f.errorP95Ms;
      timeouts[contender] = f.driverTimeouts;
      perMinute[contender] = f.requestsPerMinute;
      callsPerMinute[contender] = f.callsPerMinute;
      recovery[contender] = f.recoveryMs;
      afterCredential[contender] = f.afterCredentialMs;
      if (contender === "ours") oursFirstEnding = f.firstErrorEnding;
      const call = f.recoveringCall;
      notes.push(
        `${contender}: ${result.records.length} connections; first connection without a valid token ended as ` +
          `"${f.firstErrorEnding ?? "—"}"; the first token after the outage came from a credential call started ` +
          `${call ? `${(call.startMs / 1000).toFixed(1)} s` : "—"} and returning ${call ? `${(call.endMs / 1000).toFixed(1)} s` : "—"} ` +
          `from the endpoint's recovery; first connection lost while the token was valid: ${f.firstLost ?? "none"}; errors seen: ${result.errors.length > 0 ? `"${result.errors.join('"; "')}"` : "none"}`,
      );
    }
    if (noRetries !== undefined) {
      const { result, f } = noRetries;
      notes.push(
        `ours with retryOptions { maxRetries: 0 }: ${result.records.length} connections; first connection without a valid token ended as ` +
          `"${f.firstErrorEnding ?? "—"}"; first connection lost while the token was valid: ${f.firstLost ?? "none"}; ` +
          `errors seen: ${result.errors.length > 0 ? `"${result.errors.join('"; "')}"` : "none"}`,
      );
    }
    notes.push(
      "static needs no token: —.",
      "Our bound for the endpoint: one credential call at a time, the next one 1 s after the last failed, whatever the connection rate: at most 60 calls " +
        "a minute, each with the credential's own retries (DefaultAzureCredential's ManagedIdentityCredential here: 1 request and up to 5 retries from 800 ms, " +
        "so a failing call takes 10–25 s and far fewer calls fit). We never add retries to a call that already took longer than 3 s. With the credential's " +
        "retries off, each call is one request: at most 6 requests per attempt (retries 0.5–1 s apart inside 3 s), then 1 s: at most 6 per 3.5 s.",
      "Recovery, from the endpoint's recovery to the first connection that succeeds: ours calls the credential again at most 1 s after a failed call " +
        "(and never while a call is in flight); a call in flight when the endpoint comes back ends on its own schedule: ManagedIdentityCredential " +
        "retries 5 times from 800 ms, doubling, so its next request can be 10 s away. microsoft has a credential call in flight for every waiting connection.",
    );
    const outageSeconds = (t.outageEndMs - t.outageStartMs) / 1000;
    return {
      id: this.id,
      title: this.title,
      ran:
        `${1000 / t.intervalMs} new pg.Clients a second for ${t.durationMs / 1000} s (connectionTimeoutMillis ${CONNECT_TIMEOUT_MS} ms), ` +
        `DefaultAzureCredential → managed identity endpoint, token lifetime ${t.lifetimeSeconds} s; the endpoint answers 500 to every request ` +
        `from ${t.outageStartMs / 1000} s to ${t.outageEndMs / 1000} s (${outageSeconds} s, starting while the first token is valid); ` +
        "microsoft, then ours, then ours with DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }) (one at a time), each with its own managed identity.",
      rows: [
        row("connections lost while the token was valid", "count", lost, {
          ratios: false,
          target: { text: "0", pass: lost.ours === 0 },
        }),
        row("first connection without a valid token: time to its error", "ms", firstError, {
          target: {
            text: "≤ 3.5 s (3 s + connect), an EntraAuthError",
            pass: firstError.ours !== null && firstError.ours <= 3_500 && oursFirstEnding === "entra",
          },
        }),
        row("time to the error without a valid token, p95", "ms", p95, {
          target: {
            text: `< ${CONNECT_TIMEOUT_MS} ms (pg's timeout)`,
            pass: p95.ours !== null && p95.ours < CONNECT_TIMEOUT_MS,
          },
        }),
        row("connections ended by pg's timeout (no cause)", "count", timeouts, {
          ratios: false,
          target: { text: "0", pass: timeouts.ours === 0 },
        }),
        row("credential calls per minute of outage", "count", callsPerMinute, {
          target: { text: "≤ 60 (one per 1 s step)", pass: (callsPerMinute.ours ?? Infinity) <= 60 },
        }),
        row("endpoint requests per minute of outage", "count", perMinute),
        row("time to recover after the endpoint is back", "ms", recovery),
        row("time to a connection once the credential returns a token again", "ms", afterCredential, {
          target: { text: "≤ 1 s", pass: afterCredential.ours !== null && afterCredential.ours <= 1_000 },
        }),
        ...noRetriesRows(noRetries?.f),
      ],
      notes,
    };
  },
  child: (contender, params) => outageChild(contender, params as OutageParams),
};
