import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

/** The phases of a client login the proxy times, in order. */
export type ProxyLoginPhase = "connect" | "tls" | "token" | "login";

/**
 * How a client login ended, as the span's `azure.postgresql_auth.outcome` says: `ok`; the server
 * refused it (`server_refused`, with its SQLSTATE); the proxy refused the client (`proxy_refused`:
 * full, shutting down, a wrong local password, a startup that timed out); no token
 * (`token_failed`); the server could not be reached or the login broke off (`upstream_failed`).
 */
export type ProxyLoginOutcome = "ok" | "server_refused" | "proxy_refused" | "token_failed" | "upstream_failed";

/** Epoch milliseconds with sub-millisecond precision (what OpenTelemetry takes as a time). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The tracer of the provider registered now. Looked up per login, not once at load: a tracer taken
 * at load stays bound to the first provider registered, so one registered later (an SDK started
 * after this module was imported, or replaced) would never see our spans.
 */
const currentTracer = () => trace.getTracer("@azure/postgresql-auth-cli");

/**
 * The trace of one client login: the proxy notes when each phase ran while the login goes on, and
 * {@link ProxyLoginTrace.finish} then sends one span `azure_postgresql_auth.proxy.client_login`
 * (kind client) with a child span per phase that ran (`connect`, `tls`, `token`, `login`). Spans are
 * made only at the end, with the times noted: a connection that turns out to be a cancel request
 * makes none. Through `@opentelemetry/api`: without an SDK registered, nothing is recorded.
 * Attributes: `server.address`, `server.port`, `db.system.name` (`postgresql`),
 * `azure.postgresql_auth.server` (`host:port`), `azure.postgresql_auth.role` (the role name, once
 * decided), `azure.postgresql_auth.outcome`, `db.response.status_code` (the SQLSTATE the client
 * got) and `error.type` on failure (the SQLSTATE, or the proxy's error code). Never a token.
 *
 * @internal
 */
export class ProxyLoginTrace {
  readonly #startedAt: number;
  readonly #host: string;
  readonly #port: number;
  readonly #phases: Array<{ phase: ProxyLoginPhase; start: number; end: number; failed: boolean }> = [];
  #role: string | undefined;
  #finished = false;

  constructor(host: string, port: number, startedAt = nowMs()) {
    this.#host = host;
    this.#port = port;
    this.#startedAt = startedAt;
  }

  /** Notes that `phase` ran from `start` to `end` (epoch ms); `failed` when it ended the login. */
  phase(phase: ProxyLoginPhase, start: number, end: number, failed = false): void {
    this.#phases.push({ phase, start, end, failed });
  }

  /** Runs `work` as `phase`, noting its time (and its failure, when it throws). */
  async time<T>(phase: ProxyLoginPhase, work: () => Promise<T>): Promise<T> {
    const start = nowMs();
    try {
      const result = await work();
      this.phase(phase, start, nowMs());
      return result;
    } catch (error) {
      this.phase(phase, start, nowMs(), true);
      throw error;
    }
  }

  /** The role name the login uses. */
  set role(role: string) {
    this.#role = role;
  }

  /** Sends the spans (once). `sqlstate`: what the client got; `errorType`: the proxy's own code, if any. */
  finish(outcome: ProxyLoginOutcome, details: { sqlstate?: string | undefined; errorType?: string } = {}): void {
    if (this.#finished) return;
    this.#finished = true;
    const end = nowMs();
    const server = `${this.#host}:${this.#port}`;
    const tracer = currentTracer();
    const span: Span = tracer.startSpan("azure_postgresql_auth.proxy.client_login", {
      kind: SpanKind.CLIENT,
      startTime: this.#startedAt,
      attributes: {
        "server.address": this.#host,
        "server.port": this.#port,
        "db.system.name": "postgresql",
        "azure.postgresql_auth.server": server,
        "azure.postgresql_auth.outcome": outcome,
        ...(this.#role !== undefined && { "azure.postgresql_auth.role": this.#role }),
        ...(details.sqlstate !== undefined && { "db.response.status_code": details.sqlstate }),
      },
    });
    if (!span.isRecording()) {
      span.end(end);
      return;
    }
    const parent = trace.setSpan(context.active(), span);
    for (const p of this.#phases) {
      const child = tracer.startSpan(
        p.phase,
        { startTime: p.start, attributes: { "azure.postgresql_auth.server": server } },
        parent,
      );
      if (p.failed) child.setStatus({ code: SpanStatusCode.ERROR });
      child.end(p.end);
    }
    if (outcome !== "ok") {
      span.setAttribute("error.type", details.errorType ?? details.sqlstate ?? outcome);
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
    span.end(end);
  }
}
