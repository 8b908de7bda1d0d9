import type { EntraConnectionPlan, EntraLoginRequest } from "./create-entra-login.js";
import type { EntraLoginTlsOptions } from "./resolve-tls-options.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The inputs that decide one connection's plan, in a fixed order, compared with `===`: the
 * request's host (a list as one string), its driver default host, `PGHOST` when it is the host,
 * the kind of TLS setting, and the values that decide the TLS rule for that kind (the `ssl`
 * value and its `rejectUnauthorized`, `NODE_TLS_REJECT_UNAUTHORIZED`; or the `sslmode` and
 * `sslrootcert`, with `PGSSLMODE` and `PGSSLROOTCERT` where they apply). The port and the
 * setting's name only change error messages, and errors are never cached.
 *
 * @internal
 */
export type ConnectionPlanKey = readonly [unknown, unknown, unknown, unknown, unknown, unknown, unknown];

interface Entry {
  key: ConnectionPlanKey;
  plan: EntraConnectionPlan;
}

/**
 * The connection plans one login has decided (host split, cloud check, TLS rule), so that a
 * connection like an earlier one costs a lookup instead of the whole decision: adapters ask for a
 * plan on every new connection. Holds at most `max` plans (the oldest goes first), each frozen;
 * the key re-reads every environment variable and setting value the decision read, so a change
 * to `PGSSLMODE`, `NODE_TLS_REJECT_UNAUTHORIZED` or a driver's `ssl.rejectUnauthorized` is a new
 * decision, never a stale one. Refusals are not kept: they throw every time.
 *
 * @internal
 */
export class ConnectionPlanCache {
  readonly #entries: Entry[] = [];
  readonly #hostOptionSet: boolean;
  readonly #tls: EntraLoginTlsOptions;
  readonly #max: number;
  #next = 0;

  /**
   * @param hostOptionSet - whether the login has a `host` option (then `PGHOST` is never read).
   * @param tls - the login's TLS settings (fixed for its lifetime).
   * @param max - largest number of plans kept.
   */
  constructor(hostOptionSet: boolean, tls: EntraLoginTlsOptions, max = 16) {
    this.#hostOptionSet = hostOptionSet;
    this.#tls = tls;
    this.#max = max;
  }

  /** The inputs that decide the plan of `request` in `env`. */
  keyOf(request: EntraLoginRequest, env: Env): ConnectionPlanKey {
    const { host, tls } = request;
    const hostKey = Array.isArray(host) ? listKey(host) : host;
    const envHost = (host === undefined || host === null) && !this.#hostOptionSet ? env.PGHOST : undefined;
    const driverDefault = request.driverDefaultHost;
    if (tls === "unknown") return [hostKey, driverDefault, envHost, "unknown", undefined, undefined, undefined];
    if (tls === undefined) {
      const mode = this.#tls.sslmode === undefined ? env.PGSSLMODE : undefined;
      const root = this.#tls.sslrootcert === undefined ? env.PGSSLROOTCERT : undefined;
      return [hostKey, driverDefault, envHost, "default", mode, root, undefined];
    }
    // Not a setting an adapter makes: decided (and refused) as before, the key only has to differ.
    if (typeof tls !== "object" || tls === null) return [hostKey, driverDefault, envHost, "other", tls, tls, undefined];
    if ("ssl" in tls) {
      const { ssl } = tls;
      const reject =
        typeof ssl === "object" && ssl !== null ? (ssl as { rejectUnauthorized?: unknown }).rejectUnauthorized : null;
      const nodeTls = reject === true ? undefined : process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      return [hostKey, driverDefault, envHost, ssl, reject, nodeTls, "ssl"]; // "ssl": an ssl string is not a kind
    }
    const mode = tls.sslmode ?? (this.#tls.sslmode === undefined ? env.PGSSLMODE : undefined);
    return [hostKey, driverDefault, envHost, "sslmode", mode, tls.sslrootcert, undefined];
  }

  /** The plan decided earlier for the same key, if kept. */
  get(key: ConnectionPlanKey): EntraConnectionPlan | undefined {
    for (const entry of this.#entries) if (sameKey(entry.key, key)) return entry.plan;
    return undefined;
  }

  /** Keeps `plan` (frozen, with its host list) for `key`, replacing the oldest plan when full. */
  set(key: ConnectionPlanKey, plan: EntraConnectionPlan): void {
    const hosts = Object.freeze([...plan.hosts]);
    const entry: Entry = { key, plan: Object.freeze({ host: plan.host, hosts, ssl: plan.ssl }) };
    if (this.#entries.length < this.#max) this.#entries.push(entry);
    else {
      this.#entries[this.#next] = entry;
      this.#next = (this.#next + 1) % this.#max;
    }
  }

  /** How many plans are kept (for tests). */
  get size(): number {
    return this.#entries.length;
  }
}

function sameKey(a: ConnectionPlanKey, b: ConnectionPlanKey): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A host list as one key value: not equal to any plain host string (a NUL never appears in one). */
function listKey(hosts: readonly string[]): string {
  return `\u0000${hosts.join("\u0000")}`;
}
