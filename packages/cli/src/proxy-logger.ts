import { redactTokens } from "@azure/postgresql-auth-core/internal";

/**
 * Log levels of the proxy.
 */
export type ProxyLogLevel = "debug" | "info" | "warn" | "error";

/**
 * Receives the proxy's structured log events. Fields never carry a token; {@link createProxyLogger}
 * redacts anything token-shaped anyway.
 *
 * @example
 * ```ts
 * import type { ProxyLogger } from "@azure/postgresql-auth-cli";
 * const logger: ProxyLogger = { log: (level, event, fields) => console.error(level, event, fields) };
 * ```
 */
export interface ProxyLogger {
  /** Receives one event (e.g. `listening`, `login_refused`, `connection_closed`) with its fields. */
  log(level: ProxyLogLevel, event: string, fields?: Record<string, unknown>): void;
}

const order: Record<ProxyLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger that writes one line per event to a stream (stderr by default): JSON lines with
 * `json: true` (`time`, `level`, `event`, fields), else `time level event key=value ...`.
 *
 * @example
 * ```ts
 * import { createProxyLogger } from "@azure/postgresql-auth-cli";
 * const logger = createProxyLogger({ json: true, level: "info" });
 * logger.log("info", "listening", { address: "127.0.0.1:5432" });
 * ```
 */
export function createProxyLogger(
  options: { json?: boolean; level?: ProxyLogLevel; write?: (line: string) => void } = {},
): ProxyLogger {
  const min = order[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  return {
    log(level, event, fields = {}) {
      if (order[level] < min) return;
      const time = new Date().toISOString();
      const line = options.json
        ? JSON.stringify({ time, level, event, ...fields })
        : `${time} ${level.toUpperCase()} ${event}${Object.entries(fields)
            .map(([k, v]) => ` ${k}=${typeof v === "string" && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
            .join("")}`;
      write(`${redactTokens(line)}\n`);
    },
  };
}
