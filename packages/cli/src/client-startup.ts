/**
 * The startup phase of a client connection on the plaintext loopback hop: answers SSLRequest and
 * GSSENCRequest with 'N', reads the StartupMessage (or a CancelRequest), optionally asks for the
 * local password, and refuses anything malformed with a PostgreSQL error. Never throws on a
 * client's bytes; every path ends in a result.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import {
  authenticationCleartextPassword,
  errorResponse,
  MAX_STARTUP_PACKET_LENGTH,
  type PgErrorFields,
  parseStartupPacket,
} from "./wire-protocol.js";

/** What the client's startup phase came to. */
export type ClientStartup =
  | { kind: "startup"; parameters: Map<string, string>; minor: number; leftover: Buffer }
  | { kind: "cancel"; processId: number; secretKey: Buffer; packet: Buffer }
  | { kind: "refused"; reason: string; code: string };

/** Options of {@link readClientStartup}. */
export interface ClientStartupOptions {
  /** The whole startup phase (including the local password) must end within this time. */
  timeoutMs: number;
  /** When set, the client must send this password (AuthenticationCleartextPassword). */
  localPassword?: string | undefined;
  /**
   * When set, a startup message is answered with this error (after any SSLRequest or
   * GSSENCRequest got its 'N', so that libpq shows the message and SQLSTATE with every `sslmode`
   * short of `require`); a cancel request is still returned as one.
   */
  refuseWith?: Omit<PgErrorFields, "severity"> | undefined;
}

const MAX_PASSWORD_MESSAGE = 4096;

/** Reads the startup phase of `socket`. The socket is paused when the promise resolves with `startup`. */
export function readClientStartup(socket: Socket, options: ClientStartupOptions): Promise<ClientStartup> {
  return new Promise((resolve) => {
    let buffer: Buffer = Buffer.alloc(0);
    let phase: "startup" | "password" = "startup";
    let startup: Extract<ClientStartup, { kind: "startup" }> | undefined;
    let sslSeen = false;
    let gssSeen = false;
    let done = false;

    const finish = (result: ClientStartup) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      if (result.kind === "startup") socket.pause();
      resolve(result);
    };
    const refuse = (fields: Omit<PgErrorFields, "severity">, answer = true) => {
      if (answer && socket.writable) rejectClient(socket, { severity: "FATAL", ...fields });
      else socket.destroy();
      finish({ kind: "refused", reason: fields.message, code: fields.code });
    };
    const timer = setTimeout(
      () => refuse({ code: "57014", message: "canceling authentication due to timeout" }),
      options.timeoutMs,
    );
    timer.unref();
    const onEnd = () => refuse({ code: "08006", message: "the client closed the connection during startup" }, false);

    const step = () => {
      while (!done) {
        if (phase === "startup") {
          if (buffer.length < 4) return;
          const length = buffer.readUInt32BE(0);
          if (length < 8 || length > MAX_STARTUP_PACKET_LENGTH) {
            refuse({ code: "08P01", message: "invalid length of startup packet" });
            return;
          }
          if (buffer.length < length) return;
          const packet = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          const parsed = parseStartupPacket(packet);
          switch (parsed.kind) {
            case "ssl":
            case "gssenc": {
              const seen = parsed.kind === "ssl" ? sslSeen : gssSeen;
              if (seen || buffer.length > 0) {
                refuse({ code: "08P01", message: "unexpected data after an encryption request" });
                return;
              }
              if (parsed.kind === "ssl") sslSeen = true;
              else gssSeen = true;
              socket.write("N"); // plaintext loopback hop: the client carries on without encryption
              continue;
            }
            case "cancel":
              finish(parsed);
              socket.end();
              return;
            case "invalid":
              refuse({ code: parsed.code, message: parsed.reason });
              return;
            case "startup":
              if (options.refuseWith !== undefined) {
                refuse(options.refuseWith);
                return;
              }
              startup = {
                kind: "startup",
                parameters: parsed.parameters,
                minor: parsed.minor,
                leftover: Buffer.alloc(0),
              };
              if (options.localPassword === undefined) {
                finish({ ...startup, leftover: buffer });
                return;
              }
              phase = "password";
              socket.write(authenticationCleartextPassword());
              continue;
          }
        } else {
          if (buffer.length < 5) return;
          const length = buffer.readUInt32BE(1);
          if (buffer[0] !== 0x70 || length < 5 || length > MAX_PASSWORD_MESSAGE) {
            refuse({ code: "08P01", message: "expected a password message" });
            return;
          }
          if (buffer.length < length + 1) return;
          const password = buffer.subarray(5, length); // without the trailing NUL
          buffer = buffer.subarray(length + 1);
          if (!samePassword(password, options.localPassword!)) {
            const user = startup!.parameters.get("user") ?? "";
            refuse({
              code: "28P01",
              message: `password authentication failed for user "${user}" (the proxy's local password)`,
            });
            return;
          }
          finish({ ...startup!, leftover: buffer });
          return;
        }
      }
    };
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      try {
        step();
      } catch {
        refuse({ code: "08P01", message: "invalid startup packet" });
      }
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
  });
}

/** Sends an ErrorResponse, ends the connection and makes sure it is gone soon after. */
export function rejectClient(socket: Socket, fields: PgErrorFields, graceMs = 2000): void {
  if (!socket.destroyed) {
    socket.end(errorResponse(fields));
    setTimeout(() => socket.destroy(), graceMs).unref();
  }
}

function samePassword(given: Buffer, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
