// SERVER[?port=&listen-port=&listen-address=&unix-socket=&database=] and the defaults the global flags give.
import { describe, expect, it } from "vitest";
import { parseServerSpec, toProxyServers } from "../src/server-spec.js";

describe("SERVER arguments", () => {
  it("a host alone, or with its settings", () => {
    expect(parseServerSpec("a.postgres.database.azure.com")).toEqual({ host: "a.postgres.database.azure.com" });
    expect(
      parseServerSpec(
        "a.postgres.database.azure.com?port=6432&listen-port=7000&listen-address=0.0.0.0&unix-socket=/run/a/.s.PGSQL.5432&database=app%20db",
      ),
    ).toEqual({
      host: "a.postgres.database.azure.com",
      port: 6432,
      listenPort: 7000,
      listenAddress: "0.0.0.0",
      unixSocket: "/run/a/.s.PGSQL.5432",
      database: "app db",
    });
  });

  it("mistakes say what a server takes", () => {
    expect(() => parseServerSpec("a?prot=1")).toThrow(/unknown setting "prot"; a server takes port, listen-address/);
    expect(() => parseServerSpec("a?port=0")).toThrow(/port must be a port number from 1 to 65535/);
    expect(() => parseServerSpec("a?listen-port=x")).toThrow(/listen-port must be a port number/);
    expect(() => parseServerSpec("a?port=1&port=2")).toThrow(/"port" is given twice/);
    expect(() => parseServerSpec("?port=1")).toThrow(/give the server's host name first/);
    expect(() => parseServerSpec("a?database=")).toThrow(/"database" needs a value/);
  });
});

describe("defaults from the global flags", () => {
  it("listen ports count up from --listen-port (default 5432); a server's own listen-port is kept", () => {
    const servers = toProxyServers([{ host: "a" }, { host: "b", listenPort: 9000 }, { host: "c" }], {
      port: 6432,
      database: "app",
    });
    expect(servers).toEqual([
      { host: "a", port: 6432, listen: { port: 5432 }, database: "app" },
      { host: "b", port: 6432, listen: { port: 9000 }, database: "app" },
      { host: "c", port: 6432, listen: { port: 5433 }, database: "app" },
    ]);
  });

  it("--listen-port 0 gives each server a free port", () => {
    const servers = toProxyServers([{ host: "a" }, { host: "b" }], { listenPort: 0, listenAddress: "127.0.0.1" });
    expect(servers.map((s) => s.listen)).toEqual([
      { address: "127.0.0.1", port: 0 },
      { address: "127.0.0.1", port: 0 },
    ]);
  });

  it("a server with only a Unix socket listens only there, unless --listen-port is given", () => {
    expect(toProxyServers([{ host: "a", unixSocket: "/s" }], {})[0]!.listen).toEqual({ unixSocket: "/s" });
    expect(toProxyServers([{ host: "a", unixSocket: "/s" }], { listenPort: 6000 })[0]!.listen).toEqual({
      port: 6000,
      unixSocket: "/s",
    });
  });

  it("--unix-socket is one path: refused with several servers", () => {
    expect(() => toProxyServers([{ host: "a" }, { host: "b" }], { unixSocket: "/s" })).toThrow(
      /with several servers give each its own \(SERVER\?unix-socket=PATH\)/,
    );
  });
});
