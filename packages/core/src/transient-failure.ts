/**
 * Which credential failures are worth retrying at once (the identity endpoint was busy or briefly
 * unreachable), and how long the endpoint asked us to wait. Read from the credential's own error
 * (before it is redacted): HTTP 408, 429 and 5xx (except 501 and 505), and connection errors,
 * anywhere in its `cause` chain or `errors` list; the wait from `Retry-After` (seconds or a date),
 * `retry-after-ms` or `x-ms-retry-after-ms`, as Azure's HTTP pipeline does.
 */
export interface TransientFailure {
  /** What made it transient, for the log: `HTTP 429`, `ECONNRESET`, … */
  reason: string;
  /** The wait the server asked for, if it said. */
  retryAfterMs?: number;
}

const connectionCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
]);

/** Failures of getEntraToken that are transient: filled in by getEntraToken, read by the token cache. */
export const transientFailures: WeakMap<object, TransientFailure> = new WeakMap();

export function classifyTransient(error: unknown, depth = 0): TransientFailure | undefined {
  if (typeof error !== "object" || error === null || depth > 8) return undefined;
  const e = error as {
    statusCode?: unknown;
    status?: unknown;
    code?: unknown;
    response?: unknown;
    cause?: unknown;
    errors?: unknown;
    retryAfterInMs?: unknown;
  };
  const status = typeof e.statusCode === "number" ? e.statusCode : typeof e.status === "number" ? e.status : undefined;
  const retryAfterMs = retryAfter(e);
  if (
    status !== undefined &&
    (status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505))
  ) {
    return retryAfterMs === undefined ? { reason: `HTTP ${status}` } : { reason: `HTTP ${status}`, retryAfterMs };
  }
  if (typeof e.code === "string" && connectionCodes.has(e.code)) return { reason: e.code };
  if (e.cause !== undefined) {
    const inner = classifyTransient(e.cause, depth + 1);
    if (inner) return inner;
  }
  if (Array.isArray(e.errors)) {
    for (const item of e.errors.slice(0, 16)) {
      const inner = classifyTransient(item, depth + 1);
      if (inner) return inner;
    }
  }
  return undefined;
}

function retryAfter(e: { response?: unknown; retryAfterInMs?: unknown }): number | undefined {
  if (typeof e.retryAfterInMs === "number" && Number.isFinite(e.retryAfterInMs) && e.retryAfterInMs >= 0)
    return e.retryAfterInMs;
  const headers = (e.response as { headers?: unknown } | undefined)?.headers;
  const header = (name: string): string | undefined => {
    if (typeof headers !== "object" || headers === null) return undefined;
    const get = (headers as { get?: unknown }).get;
    const value =
      typeof get === "function"
        ? (get as (n: string) => unknown).call(headers, name)
        : (headers as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  };
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const ms = Number(header(name));
    if (header(name) !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  }
  const value = header("retry-after");
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
