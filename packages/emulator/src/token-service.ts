/**
 * The one place every token request goes through, whatever way it came (in-process
 * credential, managed identity endpoint, stand-in `az`): per-principal lifetime, latency,
 * injected failures, throttling and request statistics.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { PrincipalDirectory } from "./principal-directory.js";
import type { TokenIssuer } from "./token-issuer.js";

/**
 * The ways a token can be requested.
 *
 * @example
 * ```ts
 * import { startEmulator, type TokenWay } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const ways: TokenWay[] = ["managedIdentityEndpoint", "credential", "az", "tokenEndpoint"];
 * for (const way of ways) console.log(way, emu.stats().tokenRequests[way]);
 * ```
 */
export type TokenWay = "managedIdentityEndpoint" | "credential" | "az" | "tokenEndpoint";

/**
 * Per-principal behaviour, set with `emu.configurePrincipal()`.
 *
 * @example
 * ```ts
 * import { startEmulator, type PrincipalBehaviour } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const behaviour: PrincipalBehaviour = { tokenLifetimeSeconds: 5, latencyMs: 200, failNext: 2 };
 * emu.configurePrincipal("orders-api-identity", behaviour);
 * ```
 */
export interface PrincipalBehaviour {
  /** Lifetime of tokens issued to this principal, in seconds. */
  tokenLifetimeSeconds?: number;
  /** Added latency before each answer, in ms. */
  latencyMs?: number;
  /** Fail the next N requests. */
  failNext?: number;
  /**
   * An outage: while `true`, every request fails (after `latencyMs`) with `failStatus`, as an
   * identity endpoint that is down. Set it back to `false` to end the outage. Counted in `failed`.
   */
  outage?: boolean;
  /** HTTP status of injected failures on the HTTP ways (default 500). The in-process credential throws instead. */
  failStatus?: number;
  /**
   * Managed-identity-endpoint throttle: at most 5 concurrent and 20 requests per second, excess gets HTTP 429.
   * Default (`undefined`): on for managed identities at the managed identity endpoint only.
   * `true`: on for every way (the in-process credential throws an error with `statusCode: 429`). `false`: off.
   */
  throttle?: boolean;
}

/**
 * Token request counters by way.
 *
 * @example
 * ```ts
 * import { startEmulator, type TokenRequestCountsByWay } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const alice: TokenRequestCountsByWay | undefined = emu.stats().tokenRequests.byPrincipalAndWay["alice@contoso.com"];
 * console.log(alice?.credential, alice?.az, alice?.managedIdentityEndpoint);
 * ```
 */
export interface TokenRequestCountsByWay {
  /** The managed identity endpoint (`ManagedIdentityCredential`, `DefaultAzureCredential` with `emu.env`). */
  managedIdentityEndpoint: number;
  /** The in-process credential of `emu.credential()`. */
  credential: number;
  /** The stand-in `az` (`AzureCliCredential`). */
  az: number;
  /** The Entra-like token endpoint (client secret, workload identity). */
  tokenEndpoint: number;
}

/**
 * Statistics returned by `emu.stats()`. Every request that reaches the emulator is
 * counted in `tokenRequests`, including throttled and failed ones.
 *
 * @example
 * ```ts
 * import { startEmulator, type EmulatorStats } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const stats: EmulatorStats = emu.stats();
 * console.log(stats.tokenRequests.total, stats.throttled, stats.failed, stats.logins.ok);
 * ```
 */
export interface EmulatorStats {
  /** Token requests by way, in total, per principal, and per principal and way. */
  tokenRequests: TokenRequestCountsByWay & {
    total: number;
    /** Requests per principal name. */
    byPrincipal: Record<string, number>;
    /** Requests per principal name and way. */
    byPrincipalAndWay: Record<string, TokenRequestCountsByWay>;
  };
  /** Requests answered with 429 by the throttle. */
  throttled: number;
  /** Requests that failed because of `failNext` or `outage`. */
  failed: number;
  /** Logins through the TLS front. */
  logins: { ok: number; refused: number };
}

/** Outcome of a token request. */
export type TokenOutcome =
  | { ok: true; token: string; expiresOnTimestamp: number; lifetimeSeconds: number }
  | { ok: false; status: number; error: string; description: string };

/** Thrown (or rejected) when a request is aborted. */
export class AbortError extends Error {
  override name = "AbortError";
}

/**
 * Concurrency limit of the managed identity endpoint.
 *
 * @example
 * ```ts
 * import { PUBLIC_CLOUD_RESOURCE, THROTTLE_MAX_CONCURRENT, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * emu.configurePrincipal("orders-api-identity", { throttle: true, latencyMs: 200 });
 * const requests = Array.from({ length: THROTTLE_MAX_CONCURRENT + 1 }, () => emu.credential().getToken(`${PUBLIC_CLOUD_RESOURCE}/.default`));
 * const results = await Promise.allSettled(requests); // the last one is rejected with statusCode 429
 * ```
 */
export const THROTTLE_MAX_CONCURRENT = 5;
/**
 * Requests per second limit of the managed identity endpoint.
 *
 * @example
 * ```ts
 * import { PUBLIC_CLOUD_RESOURCE, THROTTLE_MAX_PER_SECOND, startEmulator } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * emu.configurePrincipal("orders-api-identity", { throttle: true });
 * for (let i = 0; i < THROTTLE_MAX_PER_SECOND; i++) await emu.credential().getToken(`${PUBLIC_CLOUD_RESOURCE}/.default`);
 * await emu.credential().getToken(`${PUBLIC_CLOUD_RESOURCE}/.default`).catch((e) => console.log(e.statusCode)); // 429 within the same second
 * ```
 */
export const THROTTLE_MAX_PER_SECOND = 20;

interface PrincipalState {
  behaviour: PrincipalBehaviour;
  inFlight: number;
  recent: number[];
}

function emptyStats(): EmulatorStats {
  return {
    tokenRequests: {
      total: 0,
      byPrincipal: {},
      byPrincipalAndWay: {},
      managedIdentityEndpoint: 0,
      credential: 0,
      az: 0,
      tokenEndpoint: 0,
    },
    throttled: 0,
    failed: 0,
    logins: { ok: 0, refused: 0 },
  };
}

/** The part of an abort signal the emulator uses (an `AbortSignal` or core-auth's `AbortSignalLike`). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError("The operation was aborted."));
  if (ms <= 0) return Promise.resolve();
  // node:timers/promises wants a real AbortSignal; core-auth's AbortSignalLike is bridged.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  return delay(ms, undefined, { signal: controller.signal }).then(
    () => signal?.removeEventListener("abort", onAbort),
    () => {
      throw new AbortError("The operation was aborted.");
    },
  );
}

/** Handles token requests for all ways. */
export class TokenService {
  private stats = emptyStats();
  private readonly states = new Map<string, PrincipalState>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly directory: PrincipalDirectory,
    private readonly defaultLifetimeSeconds: number,
  ) {}

  private state(name: string): PrincipalState {
    let s = this.states.get(name);
    if (!s) {
      s = { behaviour: {}, inFlight: 0, recent: [] };
      this.states.set(name, s);
    }
    return s;
  }

  configure(name: string, behaviour: PrincipalBehaviour): void {
    this.directory.tokenPrincipal(name);
    const s = this.state(name);
    s.behaviour = { ...s.behaviour, ...behaviour };
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = emptyStats();
  }

  recordLogin(ok: boolean): void {
    if (ok) this.stats.logins.ok++;
    else this.stats.logins.refused++;
  }

  /** Lifetime of tokens for `name` (principal setting, else the emulator default). */
  lifetimeFor(name: string): number {
    return this.state(name).behaviour.tokenLifetimeSeconds ?? this.defaultLifetimeSeconds;
  }

  /** Runs one token request for principal `name` asking for `audience`. */
  async request(name: string, way: TokenWay, audience: string, signal?: AbortSignalLike): Promise<TokenOutcome> {
    const principal = this.directory.tokenPrincipal(name);
    const st = this.stats.tokenRequests;
    st.total++;
    st[way]++;
    st.byPrincipal[name] = (st.byPrincipal[name] ?? 0) + 1;
    const byWay = (st.byPrincipalAndWay[name] ??= {
      managedIdentityEndpoint: 0,
      credential: 0,
      az: 0,
      tokenEndpoint: 0,
    });
    byWay[way]++;

    const s = this.state(name);
    const throttleOn =
      s.behaviour.throttle === true ||
      (s.behaviour.throttle === undefined && principal.kind === "managedIdentity" && way === "managedIdentityEndpoint");
    const now = Date.now();
    s.recent = s.recent.filter((t) => now - t < 1000);
    if (throttleOn && (s.inFlight >= THROTTLE_MAX_CONCURRENT || s.recent.length >= THROTTLE_MAX_PER_SECOND)) {
      this.stats.throttled++;
      return {
        ok: false,
        status: 429,
        error: "too_many_requests",
        description: `Too many requests for identity "${name}": at most ${THROTTLE_MAX_CONCURRENT} concurrent and ${THROTTLE_MAX_PER_SECOND} per second.`,
      };
    }
    s.recent.push(now);
    s.inFlight++;
    try {
      await sleep(s.behaviour.latencyMs ?? 0, signal);
      if (s.behaviour.outage === true) {
        this.stats.failed++;
        return {
          ok: false,
          status: s.behaviour.failStatus ?? 500,
          error: "injected_outage",
          description: `Injected outage for "${name}" (configured with outage: true).`,
        };
      }
      if ((s.behaviour.failNext ?? 0) > 0) {
        s.behaviour.failNext = (s.behaviour.failNext ?? 0) - 1;
        this.stats.failed++;
        return {
          ok: false,
          status: s.behaviour.failStatus ?? 500,
          error: "injected_failure",
          description: `Injected failure for "${name}" (configured with failNext).`,
        };
      }
      const lifetimeSeconds = this.lifetimeFor(name);
      const issued = this.issuer.issue(principal, { audience, lifetimeSeconds });
      return { ok: true, ...issued, lifetimeSeconds };
    } finally {
      s.inFlight--;
    }
  }
}
