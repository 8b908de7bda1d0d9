import { describe, expect, it } from "vitest";
import { ConnectionPlanCache } from "../src/connection-plan-cache.js";

const plan = (host: string) => ({ host, hosts: [host], ssl: { rejectUnauthorized: true } });

describe("ConnectionPlanCache", () => {
  it("keeps at most max plans, replacing the oldest first", () => {
    const cache = new ConnectionPlanCache(false, {}, 3);
    const keyOf = (host: string) => cache.keyOf({ host, tls: "unknown" }, {});
    for (const host of ["a", "b", "c", "d"]) cache.set(keyOf(host), plan(host));
    expect(cache.size).toBe(3);
    expect(cache.get(keyOf("a"))).toBeUndefined();
    expect(cache.get(keyOf("d"))).toEqual(plan("d"));
    cache.set(keyOf("e"), plan("e"));
    expect(cache.get(keyOf("b"))).toBeUndefined();
    expect(["c", "d", "e"].map((host) => cache.get(keyOf(host))?.host)).toEqual(["c", "d", "e"]);
  });

  it("keeps a frozen copy: changing the plan it was given changes nothing", () => {
    const cache = new ConnectionPlanCache(false, {});
    const given = plan("a");
    const key = cache.keyOf({ host: "a" }, {});
    cache.set(key, given);
    given.hosts.push("b");
    expect(cache.get(key)).toEqual(plan("a"));
    expect(Object.isFrozen(cache.get(key))).toBe(true);
  });

  it("reads PGHOST only when neither the connection nor the login names a host, and the TLS variables only when they apply", () => {
    const env = { PGHOST: "h", PGSSLMODE: "require", PGSSLROOTCERT: "/ca.pem" };
    const withHostOption = new ConnectionPlanCache(true, { sslmode: "verify-full", sslrootcert: "system" });
    expect(withHostOption.keyOf({}, env)).toEqual(withHostOption.keyOf({}, {}));
    const plain = new ConnectionPlanCache(false, {});
    expect(plain.keyOf({}, env)).not.toEqual(plain.keyOf({}, { ...env, PGHOST: "g" }));
    expect(plain.keyOf({}, env)).not.toEqual(plain.keyOf({}, { ...env, PGSSLROOTCERT: "/other.pem" }));
    expect(plain.keyOf({ host: "x", tls: "unknown" }, env)).toEqual(plain.keyOf({ host: "x", tls: "unknown" }, {}));
  });
});
