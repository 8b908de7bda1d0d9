/**
 * Opens a verified TLS connection to the server the way libpq does (SSLRequest, then TLS), logs in
 * with a cleartext password (the access token) and reads the server's answer up to ReadyForQuery.
 */
import { lookup } from "node:dns/promises";
import net from "node:net";
import tls from "node:tls";
import { nowMs } from "./proxy-login-trace.js";
import {
  type PgErrorFields,
  parseErrorFields,
  passwordMessage,
  splitMessages,
  sslRequest,
  startupMessage,
} from "./wire-protocol.js";

/** Where the upstream server is and how to trust it. */
export interface UpstreamTarget {
  host: string;
  port: number;
  /** PEM CA certificates; default: Node's (system/bundled) CAs plus `NODE_EXTRA_CA_CERTS`. */
  ca?: string | Buffer | undefined;
}

/** The stage a connection failed at, for messages that say what to fix. */
export type UpstreamStage = "dns" | "tcp" | "tls" | "protocol";

/** A failure before the server could answer the login. Never carries a token. */
export class UpstreamConnectError extends Error {
  constructor(
    readonly stage: UpstreamStage,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "UpstreamConnectError";
  }
}

/** The server's answer to the login. */
export type UpstreamLogin =
  | {
      ok: true;
      socket: tls.TLSSocket;
      /** The server's messages from AuthenticationOk to ReadyForQuery, to hand to the client as they are. */
      greeting: Buffer;
      backendKey?: { processId: number; secretKey: Buffer };
    }
  | { ok: false; error: PgErrorFields; raw: Buffer };

/**
 * One TLS context per target, made on first use: `tls.connect({ ca })` would build a new one (and
 * parse the CA PEM again) on every connection, a cost the proxy paid on each client's connect.
 */
const secureContexts = new WeakMap<UpstreamTarget, tls.SecureContext>();
function secureContextFor(target: UpstreamTarget): tls.SecureContext {
  let context = secureContexts.get(target);
  if (!context) {
    context = tls.createSecureContext(target.ca !== undefined ? { ca: target.ca } : {});
    secureContexts.set(target, context);
  }
  return context;
}

/** When each step of {@link connectUpstreamTls} finished (epoch ms), for the login's trace. */
export interface UpstreamTiming {
  /** The TCP connection was open. */
  connectedAt?: number;
  /** The TLS handshake was done. */
  securedAt?: number;
}

/** Opens TCP + TLS to the server (verified; SNI = host name); notes the steps' times in `timing`. */
export async function connectUpstreamTls(
  target: UpstreamTarget,
  timeoutMs: number,
  timing?: UpstreamTiming,
): Promise<tls.TLSSocket> {
  const raw = await new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new UpstreamConnectError("tcp", `Connecting to ${target.host}:${target.port} timed out after ${timeoutMs} ms.`),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      if (timing) timing.connectedAt = nowMs();
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const dns = error.code === "ENOTFOUND" || error.code === "EAI_AGAIN";
      reject(
        new UpstreamConnectError(
          dns ? "dns" : "tcp",
          dns
            ? `The server name ${target.host} does not resolve (${error.code}).`
            : `Could not open a TCP connection to ${target.host}:${target.port} (${error.code ?? error.message}).`,
          { cause: error },
        ),
      );
    });
  });
  raw.on("error", () => raw.destroy());
  // SSLRequest → 'S' → TLS, as libpq does (Azure refuses plaintext).
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new UpstreamConnectError("protocol", "The server did not answer the SSL request.")),
      timeoutMs,
    );
    raw.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk);
    });
    raw.once("close", () => {
      clearTimeout(timer);
      reject(new UpstreamConnectError("protocol", "The server closed the connection after the SSL request."));
    });
    raw.write(sslRequest());
  }).catch((error: unknown) => {
    raw.destroy();
    throw error;
  });
  raw.removeAllListeners("close");
  if (answer.length !== 1 || answer[0] !== 0x53) {
    raw.destroy();
    throw new UpstreamConnectError(
      "protocol",
      answer[0] === 0x4e
        ? `The server at ${target.host}:${target.port} does not offer TLS; Azure Database for PostgreSQL always does. Is this the right host and port?`
        : `The server at ${target.host}:${target.port} did not answer like PostgreSQL.`,
    );
  }
  const servername = net.isIP(target.host) ? undefined : target.host;
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = tls.connect({
      socket: raw,
      ...(servername !== undefined && { servername }),
      secureContext: secureContextFor(target),
      rejectUnauthorized: true,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpstreamConnectError("tls", `The TLS handshake with ${target.host} timed out.`));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      if (timing) timing.securedAt = nowMs();
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      raw.destroy();
      reject(
        new UpstreamConnectError(
          "tls",
          `TLS with ${target.host} failed: ${error.message}${error.code ? ` (${error.code})` : ""}.`,
          { cause: error },
        ),
      );
    });
  });
}

/**
 * Sends the StartupMessage on a fresh TLS connection, answers the cleartext password request with
 * `password`, and returns the server's answer. The password is written to the socket only.
 */
export function loginUpstream(
  socket: tls.TLSSocket,
  parameters: Iterable<[string, string]>,
  password: string,
  timeoutMs: number,
): Promise<UpstreamLogin> {
  return new Promise<UpstreamLogin>((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let authenticated = false;
    const greeting: Buffer[] = [];
    let backendKey: { processId: number; secretKey: Buffer } | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onError);
    };
    const fail = (message: string) => {
      cleanup();
      socket.destroy();
      reject(new UpstreamConnectError("protocol", message));
    };
    const timer = setTimeout(() => fail(`The server did not finish the login within ${timeoutMs} ms.`), timeoutMs);
    const onClose = () => fail("The server closed the connection during login.");
    const onError = (error: Error) => fail(`The connection to the server failed during login: ${error.message}`);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let split: ReturnType<typeof splitMessages>;
      try {
        split = splitMessages(buffer);
      } catch {
        fail("The server sent a malformed message during login.");
        return;
      }
      buffer = split.rest;
      for (const m of split.messages) {
        if (m.type === "E") {
          cleanup();
          socket.destroy();
          resolve({ ok: false, error: parseErrorFields(m.body), raw: Buffer.from(m.raw) });
          return;
        }
        if (!authenticated) {
          if (m.type !== "R" || m.body.length < 4) {
            fail(`The server sent '${m.type}' where an authentication request was expected.`);
            return;
          }
          const kind = m.body.readUInt32BE(0);
          if (kind === 3) {
            socket.write(passwordMessage(password));
            continue;
          }
          if (kind === 0) {
            authenticated = true;
            greeting.push(m.raw);
            continue;
          }
          fail(
            `The server asked for authentication method ${kind}; Microsoft Entra login uses a cleartext password (the token) over TLS.`,
          );
          return;
        }
        greeting.push(m.raw);
        if (m.type === "K" && m.body.length >= 8) {
          backendKey = { processId: m.body.readUInt32BE(0), secretKey: Buffer.from(m.body.subarray(4, 8)) };
        }
        if (m.type === "Z") {
          cleanup();
          socket.pause();
          if (buffer.length > 0) socket.unshift(buffer);
          resolve({ ok: true, socket, greeting: Buffer.concat(greeting), ...(backendKey && { backendKey }) });
          return;
        }
      }
    };
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onError);
    socket.write(startupMessage(parameters));
  });
}

/** Resolves a host name (for `check`, which reports DNS on its own). */
export async function resolveHost(host: string): Promise<string> {
  if (net.isIP(host)) return host;
  const { address } = await lookup(host);
  return address;
}
