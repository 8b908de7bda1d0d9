import type { TokenCredential } from "@azure/core-auth";
import {
  createEntraTokenSource,
  decodeTokenClaims,
  EntraAuthError,
  type EntraTokenSource,
  redactTokens,
  resolveRoleName,
  resolveScopes,
} from "@azure/postgresql-auth-core";
import { explainRefusal, type RefusalKind } from "./explain-refusal.js";
import { retryExpiredLogin } from "./retry-expired-login.js";
import { connectUpstreamTls, loginUpstream, resolveHost, UpstreamConnectError } from "./upstream-login.js";
import { message, parseErrorFields, splitMessages } from "./wire-protocol.js";

/**
 * The steps of {@link checkConnection}, in order.
 *
 * @example
 * ```ts
 * import type { CheckStep } from "@azure/postgresql-auth-cli";
 * const first: CheckStep = "dns";
 * ```
 */
export type CheckStep = "dns" | "tcp" | "tls" | "token" | "login" | "query";

/**
 * One step's outcome. `detail` and `fix` never contain a token.
 *
 * @example
 * ```ts
 * import type { CheckStepResult } from "@azure/postgresql-auth-cli";
 * const step: CheckStepResult = { step: "dns", ok: true, detail: "resolves to 10.0.0.4" };
 * ```
 */
export interface CheckStepResult {
  step: CheckStep;
  ok: boolean;
  detail: string;
  fix?: string;
  /** For a refused login: what kind of refusal. */
  refusal?: RefusalKind;
  /** For a refused login: the server's SQLSTATE. */
  sqlstate?: string;
}

/**
 * What {@link checkConnection} found. `ok` only when a query ran.
 *
 * @example
 * ```ts
 * import type { CheckResult } from "@azure/postgresql-auth-cli";
 * declare const result: CheckResult;
 * if (!result.ok) console.log(result.steps.at(-1)?.fix);
 * ```
 */
export interface CheckResult {
  ok: boolean;
  steps: CheckStepResult[];
  /** `current_user` as the server reported it, when the query ran. */
  currentUser?: string;
}

/**
 * Options of {@link checkConnection}.
 *
 * @example
 * ```ts
 * import type { CheckConnectionOptions } from "@azure/postgresql-auth-cli";
 * import { DefaultAzureCredential } from "@azure/identity";
 * const options: CheckConnectionOptions = { host: "myserver.postgres.database.azure.com", database: "postgres", credential: new DefaultAzureCredential() };
 * ```
 */
export interface CheckConnectionOptions {
  host: string;
  /** Default 5432. */
  port?: number;
  /** Default `postgres`. */
  database?: string;
  /** The role to log in as; default: our rules applied to the token. */
  user?: string;
  /** Gets the token, unless `password` is given. */
  credential?: TokenCredential;
  /** A token to use as is (e.g. from `PGPASSWORD`), to find out why it is refused. */
  password?: string;
  /** CA certificates (PEM) instead of Node's. */
  ca?: string | Buffer;
  scope?: string | string[];
  tenantId?: string;
  /** Each network step must finish within this time. Default 15000 ms. */
  timeoutMs?: number;
}

/**
 * Connects step by step (DNS, TCP, TLS, token, login, a query) and says what fails and how to fix it.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity";
 * import { checkConnection } from "@azure/postgresql-auth-cli";
 * const result = await checkConnection({ host: "myserver.postgres.database.azure.com", database: "postgres", credential: new DefaultAzureCredential() });
 * for (const step of result.steps) console.log(step.ok ? "ok  " : "FAIL", step.step, step.detail, step.fix ?? "");
 * ```
 */
export async function checkConnection(options: CheckConnectionOptions): Promise<CheckResult> {
  const steps: CheckStepResult[] = [];
  const port = options.port ?? 5432;
  const database = options.database ?? "postgres";
  const timeoutMs = options.timeoutMs ?? 15_000;
  const done = (ok: boolean, currentUser?: string): CheckResult => ({
    ok,
    steps,
    ...(currentUser !== undefined && { currentUser }),
  });

  // DNS
  try {
    const address = await resolveHost(options.host);
    steps.push({ step: "dns", ok: true, detail: `${options.host} resolves to ${address}` });
  } catch (error) {
    steps.push({
      step: "dns",
      ok: false,
      detail: `${options.host} does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      fix: "Check the server name (e.g. myserver.postgres.database.azure.com). For a server with private access, resolve it from inside its virtual network or private DNS zone.",
    });
    return done(false);
  }

  // TCP + TLS
  let socket: import("node:tls").TLSSocket;
  try {
    socket = await connectUpstreamTls({ host: options.host, port, ca: options.ca }, timeoutMs);
    steps.push({ step: "tcp", ok: true, detail: `connected to ${options.host}:${port}` });
    steps.push({
      step: "tls",
      ok: true,
      detail: `TLS ${socket.getProtocol() ?? ""}, certificate verified for ${options.host}`,
    });
  } catch (error) {
    const e = error instanceof UpstreamConnectError ? error : new UpstreamConnectError("tcp", String(error));
    if (e.stage === "tls") {
      steps.push({ step: "tcp", ok: true, detail: `connected to ${options.host}:${port}` });
      steps.push({
        step: "tls",
        ok: false,
        detail: e.message,
        fix: "The server's certificate is not trusted by this machine or does not match the host name. Connect with the server's real host name (not an IP), and trust its CA: install it in the system store or pass --ca <file> (NODE_EXTRA_CA_CERTS also works). Never turn verification off.",
      });
    } else if (e.stage === "protocol") {
      steps.push({ step: "tcp", ok: true, detail: `connected to ${options.host}:${port}` });
      steps.push({
        step: "tls",
        ok: false,
        detail: e.message,
        fix: "Check host and port: this does not look like Azure Database for PostgreSQL.",
      });
    } else {
      steps.push({
        step: e.stage === "dns" ? "dns" : "tcp",
        ok: false,
        detail: e.message,
        fix: "Check the port (5432; 6432 for PgBouncer) and that the server's firewall rules or private endpoint allow this machine's address.",
      });
    }
    return done(false);
  }

  try {
    // Token
    let token: string;
    let source: EntraTokenSource | undefined;
    if (options.password !== undefined) {
      token = options.password;
      steps.push({
        step: "token",
        ok: true,
        detail: `using the given password (PGPASSWORD) as the token: ${describeToken(token)}`,
      });
    } else {
      try {
        if (!options.credential) throw new EntraAuthError("CREDENTIAL_REQUIRED", "No credential given.");
        source = createEntraTokenSource(options.credential, {
          host: options.host,
          ...(options.scope !== undefined && { scope: options.scope }),
          ...(options.tenantId !== undefined && { tenantId: options.tenantId }),
        });
        token = (await source.getAccessToken({ host: options.host })).token;
        const scope = resolveScopes(
          options.scope !== undefined ? { scope: options.scope } : { host: options.host },
        ).join(" ");
        steps.push({ step: "token", ok: true, detail: `got a token for ${scope}: ${describeToken(token)}` });
      } catch (error) {
        const e = EntraAuthError.isInstance(error)
          ? error
          : new EntraAuthError("TOKEN_ACQUISITION_FAILED", String(error));
        steps.push({
          step: "token",
          ok: false,
          detail: `${e.code}: ${redactTokens(e.message)}`,
          fix: "Sign in (az login), or configure the managed identity / service principal that DefaultAzureCredential should use.",
        });
        return done(false);
      }
    }

    // Login
    let user = options.user;
    let userSource = "--user / PGUSER";
    let tokenRole: string | undefined;
    try {
      tokenRole = resolveRoleName(token, { env: {} }).roleName;
    } catch {
      tokenRole = undefined;
    }
    if (!user) {
      user = tokenRole ?? "";
      userSource = "the token";
    }
    const parameters: Array<[string, string]> = [
      ["user", user],
      ["database", database],
      ["application_name", "azure-postgresql-auth check"],
    ];
    let login = await loginUpstream(socket, parameters, token, timeoutMs);
    let expiredFirst = false;
    if (source !== undefined) {
      // Refused as expired (this clock is behind the server's): once more with a fresh token, as the proxy does.
      const outcome = await retryExpiredLogin(login, token, {
        target: { host: options.host, port, ca: options.ca },
        parameters,
        timeoutMs,
        source,
        host: options.host,
      });
      ({ login, token } = outcome);
      expiredFirst = outcome.retried;
    }
    if (!login.ok) {
      const { kind, fix } = explainRefusal(login.error, {
        role: user,
        roleSource: userSource,
        ...(tokenRole !== undefined && { tokenRole }),
      });
      steps.push({
        step: "login",
        ok: false,
        detail: `the server refused role "${user}": ${login.error.severity} ${login.error.code} ${redactTokens(login.error.message)}`,
        fix,
        refusal: kind,
        sqlstate: login.error.code,
      });
      return done(false);
    }
    steps.push({
      step: "login",
      ok: true,
      detail:
        `logged in as role "${user}" (from ${userSource}) to database "${database}"` +
        (expiredFirst
          ? "; the server refused the first token as expired, so this machine's clock is behind the server's: logged in with a fresh token"
          : ""),
      ...(expiredFirst && {
        fix: "Synchronise this machine's clock (NTP): the server refuses tokens that this clock still finds valid.",
      }),
    });
    socket = login.socket;

    // Query
    const currentUser = await simpleQueryFirstValue(login.socket, "select current_user", timeoutMs);
    steps.push({ step: "query", ok: true, detail: `select current_user → ${currentUser}` });
    login.socket.end(message("X", Buffer.alloc(0)));
    return done(true, currentUser);
  } catch (error) {
    steps.push({
      step: steps.some((s) => s.step === "login") ? "query" : "login",
      ok: false,
      detail: redactTokens(error instanceof Error ? error.message : String(error)),
    });
    return done(false);
  } finally {
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}

function describeToken(token: string): string {
  try {
    const claims = decodeTokenClaims(token);
    const parts: string[] = [];
    if (typeof claims.aud === "string") parts.push(`audience ${claims.aud}`);
    if (typeof claims.oid === "string") parts.push(`object id ${claims.oid}`);
    if (typeof claims.exp === "number") {
      const exp = claims.exp * 1000;
      parts.push(
        exp <= Date.now() ? `EXPIRED at ${new Date(exp).toISOString()}` : `expires ${new Date(exp).toISOString()}`,
      );
    }
    return parts.join(", ") || "a JWT";
  } catch {
    return "not a JWT";
  }
}

function simpleQueryFirstValue(socket: import("node:tls").TLSSocket, sql: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let value: string | undefined;
    let error: string | undefined;
    const timer = setTimeout(() => finish(new Error(`the query did not finish within ${timeoutMs} ms`)), timeoutMs);
    const finish = (failure?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      if (failure) reject(failure);
      else if (error !== undefined) reject(new Error(error));
      else resolve(value ?? "");
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const { messages, rest } = splitMessages(buffer);
      buffer = rest;
      for (const m of messages) {
        if (m.type === "D" && value === undefined && m.body.readUInt16BE(0) > 0) {
          const length = m.body.readInt32BE(2);
          value = length < 0 ? "" : m.body.toString("utf8", 6, 6 + length);
        } else if (m.type === "E") {
          const e = parseErrorFields(m.body);
          error = `${e.code} ${e.message}`;
        } else if (m.type === "Z") {
          finish();
          return;
        }
      }
    };
    socket.on("data", onData);
    socket.resume();
    socket.write(message("Q", Buffer.from(`${sql}\0`, "utf8")));
  });
}
