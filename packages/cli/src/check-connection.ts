import type { TokenCredential } from "@azure/core-auth";
import { createEntraLogin, EntraAuthError, type EntraLogin } from "@azure/postgresql-auth-core";
import { decodeTokenClaims, redactTokens, resolveRoleName } from "@azure/postgresql-auth-core/internal";
import { explainRefusal, type RefusalKind } from "./explain-refusal.js";
import { retryExpiredLogin } from "./retry-expired-login.js";
import { connectUpstreamTls, loginUpstream, resolveHost, UpstreamConnectError } from "./upstream-login.js";
import { message, parseErrorFields, splitMessages } from "./wire-protocol.js";

/**
 * The steps of {@link checkConnection}, in order: resolve the host, open TCP, verify TLS, get a
 * token, log in, run a query.
 */
export type CheckStep = "dns" | "tcp" | "tls" | "token" | "login" | "query";

/**
 * One step's outcome. `detail` and `fix` never contain a token.
 */
export interface CheckStepResult {
  /** The step this is the outcome of. */
  step: CheckStep;
  /** Whether the step succeeded; the steps after a failed one are not run. */
  ok: boolean;
  /** What the step found, e.g. the addresses a host resolves to or the server's refusal. */
  detail: string;
  /** For a failed step: what to change. */
  fix?: string;
  /** For a refused login: what kind of refusal. */
  refusal?: RefusalKind;
  /** For a refused login: the server's SQLSTATE. */
  sqlstate?: string;
}

/**
 * What {@link checkConnection} found. `ok` only when a query ran.
 */
export interface CheckResult {
  /** True when every step succeeded, up to the query. */
  ok: boolean;
  /** The steps that ran, in order; the last is the one that failed, if any. */
  steps: CheckStepResult[];
  /** `current_user` as the server reported it, when the query ran. */
  currentUser?: string;
}

/**
 * Options of {@link checkConnection}.
 */
export interface CheckConnectionOptions {
  /** The Azure server's host name; also selects the cloud (token scope). */
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
  /** The token's scope, instead of the one for the host's cloud. */
  scope?: string | string[];
  /** The tenant to request the token from, instead of the credential's own. */
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
    // Token, and the role name by the core's login policy (the --user / PGUSER given to check is the
    // configured user; this process's own PGUSER is not read a second time).
    let token: string;
    const upstreamTls = { ssl: { rejectUnauthorized: true, ...(options.ca !== undefined && { ca: options.ca }) } };
    let user = options.user;
    let userSource = "--user / PGUSER";
    let entraLogin: EntraLogin | undefined;
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
        entraLogin = createEntraLogin(
          options.credential,
          {
            host: options.host,
            env: {},
            ...(options.scope !== undefined && { scope: options.scope }),
            ...(options.tenantId !== undefined && { tenantId: options.tenantId }),
          },
          "azure-postgresql-auth check",
        );
        const decided = await entraLogin.login({
          host: options.host,
          port,
          tls: upstreamTls,
          configuredUser: options.user,
        });
        token = decided.password;
        user = decided.user;
        if (decided.userSource !== "configured") userSource = "the token";
        steps.push({ step: "token", ok: true, detail: `got a token: ${describeToken(token)}` });
      } catch (error) {
        const e = EntraAuthError.isInstance(error)
          ? error
          : new EntraAuthError("TOKEN_ACQUISITION_FAILED", String(error));
        steps.push({
          step: "token",
          ok: false,
          detail: `${e.code}: ${redactTokens(e.message)}`,
          fix:
            e.code === "ROLE_NAME_UNRESOLVED" || e.code === "TOKEN_NOT_JWT"
              ? "Give the role name with --user (or PGUSER)."
              : "Sign in (az login), or configure the managed identity / service principal that DefaultAzureCredential should use.",
        });
        return done(false);
      }
    }

    // Login
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
    if (entraLogin !== undefined) {
      // Refused as expired (this clock is behind the server's): once more with a fresh token, as the proxy does.
      const outcome = await retryExpiredLogin(login, token, {
        target: { host: options.host, port, ca: options.ca },
        parameters,
        timeoutMs,
        login: entraLogin,
        request: { host: options.host, port, tls: upstreamTls },
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
    const loggedIn = steps.some((s) => s.step === "login");
    steps.push({
      step: loggedIn ? "query" : "login",
      ok: false,
      detail: redactTokens(error instanceof Error ? error.message : String(error)),
      fix: loggedIn
        ? "The connection broke or answered unlike PostgreSQL after the login: check for a proxy, load balancer or firewall in between, and try again."
        : "The server did not complete the login like Azure Database for PostgreSQL: check host and port (6432 for PgBouncer), and try again.",
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

/** Longest reply `check` reads for its one-value query: anything longer is not that query's answer. */
const maxReplyBytes = 1 << 20;

/**
 * Runs a simple query and resolves to the first column of its first row. Every way the reply can go
 * wrong ends the promise with a clear error, never an uncaught exception or a wait for the whole
 * timeout: a malformed or oversized message, a reply cut off by a closed or failed connection, and
 * silence (the timeout).
 */
function simpleQueryFirstValue(socket: import("node:tls").TLSSocket, sql: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let value: string | undefined;
    let error: string | undefined;
    let settled = false;
    const finish = (failure?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("end", onClose);
      socket.off("error", onError);
      if (failure) reject(failure);
      else if (error !== undefined) reject(new Error(error));
      else resolve(value ?? "");
    };
    const malformed = (what: string) =>
      finish(new Error(`the server's reply to the query is malformed (${what}); this is not PostgreSQL's answer`));
    const onClose = () => finish(new Error("the server closed the connection before the query finished"));
    const onError = (e: Error) => finish(new Error(`the connection failed during the query: ${e.message}`));
    const timer = setTimeout(() => finish(new Error(`the query did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (buffer.length > maxReplyBytes) return malformed(`more than ${maxReplyBytes} bytes`);
      let split: ReturnType<typeof splitMessages>;
      try {
        split = splitMessages(buffer, maxReplyBytes);
      } catch (e) {
        return malformed(e instanceof Error ? e.message : String(e));
      }
      buffer = split.rest;
      for (const m of split.messages) {
        if (m.type === "D" && value === undefined) {
          const cell = firstCell(m.body);
          if (cell === "malformed") return malformed("a data row whose lengths do not add up");
          value = cell;
        } else if (m.type === "E") {
          const e = parseErrorFields(m.body);
          error = `${e.code} ${e.message}`;
        } else if (m.type === "Z") {
          return finish();
        }
      }
    };
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("end", onClose);
    socket.on("error", onError);
    if (socket.destroyed) return onClose();
    socket.resume();
    socket.write(message("Q", Buffer.from(`${sql}\0`, "utf8")));
  });
}

/** The first column of a DataRow body as text (`""` for NULL or no columns), or "malformed". */
function firstCell(body: Buffer): string | "malformed" {
  if (body.length < 2) return "malformed";
  if (body.readUInt16BE(0) === 0) return "";
  if (body.length < 6) return "malformed";
  const length = body.readInt32BE(2);
  if (length < -1 || 6 + length > body.length) return "malformed";
  return length === -1 ? "" : body.toString("utf8", 6, 6 + length);
}
