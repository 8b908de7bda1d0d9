/**
 * The proxy's servers as the command line gives them: `SERVER[?port=N&listen-port=N&...]`
 * arguments, the `servers` list of a config file (strings of that form or tables), and the
 * defaults that the global flags give each server (listen ports counted up from --listen-port).
 */
import type { AuthProxyServer } from "./auth-proxy.js";
import { UsageError } from "./usage-error.js";

/** One server as given, before defaults. */
export interface ServerSpec {
  host: string;
  port?: number;
  listenAddress?: string;
  listenPort?: number;
  unixSocket?: string;
  database?: string;
}

/** The query keys a server may carry, and what they set. */
const KEYS = ["port", "listen-address", "listen-port", "unix-socket", "database"] as const;
type Key = (typeof KEYS)[number];

/** Parses `host[?port=N&listen-port=N&listen-address=A&unix-socket=PATH&database=DB]`. */
export function parseServerSpec(text: string, where = "a SERVER argument"): ServerSpec {
  const q = text.indexOf("?");
  const host = (q < 0 ? text : text.slice(0, q)).trim();
  const entries: Array<[string, unknown]> = q < 0 ? [] : [...new URLSearchParams(text.slice(q + 1))];
  return specFrom(host, entries, `${where} ("${text}")`);
}

/** A server from a config file's `servers` list: a string as on the command line, or a table. */
export function serverSpecFromConfig(value: unknown, where: string): ServerSpec {
  if (typeof value === "string") return parseServerSpec(value, where);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${where} must be a string ("host?port=6432") or a table with a host`);
  }
  const { host, ...rest } = value as Record<string, unknown>;
  if (typeof host !== "string") throw new UsageError(`${where} needs a host (the Azure server's name)`);
  return specFrom(host, Object.entries(rest), where);
}

function specFrom(host: string, entries: Array<[string, unknown]>, where: string): ServerSpec {
  if (host === "" || /[\s/]/.test(host)) {
    throw new UsageError(
      `${where}: give the server's host name first, e.g. myserver.postgres.database.azure.com?port=6432`,
    );
  }
  const spec: ServerSpec = { host };
  const seen = new Set<string>();
  for (const [key, raw] of entries) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`${where}: unknown setting "${key}"; a server takes ${KEYS.join(", ")}`);
    }
    if (seen.has(key)) throw new UsageError(`${where}: "${key}" is given twice`);
    seen.add(key);
    const value = typeof raw === "number" ? String(raw) : raw;
    if (typeof value !== "string" || value === "") {
      throw new UsageError(`${where}: "${key}" needs a value`);
    }
    switch (key as Key) {
      case "port":
        spec.port = portNumber(value, `${where}: port`, 1);
        break;
      case "listen-port":
        spec.listenPort = portNumber(value, `${where}: listen-port`, 0);
        break;
      case "listen-address":
        spec.listenAddress = value;
        break;
      case "unix-socket":
        spec.unixSocket = value;
        break;
      case "database":
        spec.database = value;
        break;
    }
  }
  return spec;
}

function portNumber(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 65535) {
    throw new UsageError(`${name} must be a port number from ${min} to 65535 (got "${value}")`);
  }
  return n;
}

/** The global flags that give each server its defaults. */
export interface ServerDefaults {
  port?: number | undefined;
  listenAddress?: string | undefined;
  listenPort?: number | undefined;
  unixSocket?: string | undefined;
  database?: string | undefined;
}

/**
 * The servers for startAuthProxy. Defaults come from the global flags; servers without their
 * own listen-port listen on --listen-port (default 5432), the next one on the port after it, and
 * so on (with --listen-port 0 each gets a free port). A server with only a unix-socket listens
 * only there, unless --listen-port is given. --unix-socket (one socket path) fits one server only.
 */
export function toProxyServers(specs: ServerSpec[], defaults: ServerDefaults): AuthProxyServer[] {
  if (specs.length > 1 && defaults.unixSocket !== undefined) {
    throw new UsageError(
      "--unix-socket is one socket path, for one server: with several servers give each its own (SERVER?unix-socket=PATH)",
    );
  }
  let nextPort = defaults.listenPort ?? 5432;
  return specs.map((spec) => {
    const unixSocket = spec.unixSocket ?? defaults.unixSocket;
    let listenPort = spec.listenPort;
    if (listenPort === undefined && (unixSocket === undefined || defaults.listenPort !== undefined)) {
      listenPort = nextPort;
      if (nextPort !== 0) nextPort += 1;
    }
    const address = spec.listenAddress ?? defaults.listenAddress;
    const database = spec.database ?? defaults.database;
    return {
      host: spec.host,
      port: spec.port ?? defaults.port ?? 5432,
      listen: {
        ...(address !== undefined && { address }),
        ...(listenPort !== undefined && { port: listenPort }),
        ...(unixSocket !== undefined && { unixSocket }),
      },
      ...(database !== undefined && { database }),
    };
  });
}
