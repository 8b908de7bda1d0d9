/**
 * The few PostgreSQL wire protocol messages the proxy reads and writes by hand: the startup
 * phase (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage), cleartext password
 * authentication and ErrorResponse. Everything after login is relayed as bytes.
 */

/** Protocol version 3.0 as sent in a StartupMessage. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** PostgreSQL's own limit for a startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET_LENGTH = 10_000;

/** Fields of an ErrorResponse or NoticeResponse by their one-letter code. */
export interface PgErrorFields {
  severity: string;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** What the first packet of a connection asks for. */
export type StartupPacket =
  | { kind: "ssl" }
  | { kind: "gssenc" }
  | { kind: "cancel"; processId: number; secretKey: Buffer; packet: Buffer }
  | { kind: "startup"; major: number; minor: number; parameters: Map<string, string> }
  | { kind: "invalid"; reason: string; code: string };

/** Parses one complete startup-phase packet (length prefix included). */
export function parseStartupPacket(packet: Buffer): StartupPacket {
  if (packet.length < 8) return { kind: "invalid", reason: "invalid length of startup packet", code: "08P01" };
  const code = packet.readUInt32BE(4);
  if (code === SSL_REQUEST_CODE && packet.length === 8) return { kind: "ssl" };
  if (code === GSSENC_REQUEST_CODE && packet.length === 8) return { kind: "gssenc" };
  if (code === CANCEL_REQUEST_CODE) {
    if (packet.length !== 16) return { kind: "invalid", reason: "invalid length of cancel request", code: "08P01" };
    return {
      kind: "cancel",
      processId: packet.readUInt32BE(8),
      secretKey: Buffer.from(packet.subarray(12, 16)),
      packet: Buffer.from(packet),
    };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) {
    return {
      kind: "invalid",
      reason: `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`,
      code: "0A000",
    };
  }
  const parameters = new Map<string, string>();
  let offset = 8;
  for (;;) {
    const end = packet.indexOf(0, offset);
    if (end < 0)
      return {
        kind: "invalid",
        reason: "invalid startup packet layout: expected terminator as last byte",
        code: "08P01",
      };
    if (end === offset) break; // the final terminator
    const name = packet.toString("utf8", offset, end);
    const valueEnd = packet.indexOf(0, end + 1);
    if (valueEnd < 0)
      return {
        kind: "invalid",
        reason: "invalid startup packet layout: expected terminator as last byte",
        code: "08P01",
      };
    parameters.set(name, packet.toString("utf8", end + 1, valueEnd));
    offset = valueEnd + 1;
  }
  if (offset !== packet.length - 1) {
    return {
      kind: "invalid",
      reason: "invalid startup packet layout: expected terminator as last byte",
      code: "08P01",
    };
  }
  return { kind: "startup", major, minor, parameters };
}

/** A StartupMessage for protocol 3.0. */
export function startupMessage(parameters: Iterable<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of parameters) parts.push(Buffer.from(`${name}\0${value}\0`, "utf8"));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length + 8, 0);
  header.writeUInt32BE(PROTOCOL_3_0, 4);
  return Buffer.concat([header, body]);
}

/** An 8-byte SSLRequest. */
export function sslRequest(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(SSL_REQUEST_CODE, 4);
  return b;
}

/** A typed message: one type byte, a length and the body. */
export function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** PasswordMessage with a cleartext password. */
/**
 * Whether a chunk a client sent ends with Terminate ('X', length 4): how a client ends its session
 * before it closes the socket. (libpq writes it alone, so it arrives whole, at a chunk's end.)
 */
export function endsWithTerminate(chunk: Buffer): boolean {
  const at = chunk.length - 5;
  return at >= 0 && chunk[at] === 0x58 && chunk.readUInt32BE(at + 1) === 4;
}

export function passwordMessage(password: string): Buffer {
  return message("p", Buffer.from(`${password}\0`, "utf8"));
}

/** AuthenticationCleartextPassword. */
export function authenticationCleartextPassword(): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(3, 0);
  return message("R", body);
}

/** NegotiateProtocolVersion: the newest minor version we speak (3.0) and the options we don't know. */
export function negotiateProtocolVersion(unrecognized: string[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(PROTOCOL_3_0, 0);
  head.writeUInt32BE(unrecognized.length, 4);
  return message("v", Buffer.concat([head, ...unrecognized.map((o) => Buffer.from(`${o}\0`, "utf8"))]));
}

/** An ErrorResponse. `severity` is also sent as the non-localized `V` field. */
export function errorResponse(fields: PgErrorFields): Buffer {
  const parts = [`S${fields.severity}`, `V${fields.severity}`, `C${fields.code}`, `M${fields.message}`];
  if (fields.detail) parts.push(`D${fields.detail}`);
  if (fields.hint) parts.push(`H${fields.hint}`);
  return message("E", Buffer.from(`${parts.join("\0")}\0\0`, "utf8"));
}

/** Parses the body of an ErrorResponse or NoticeResponse (after type and length). */
export function parseErrorFields(body: Buffer): PgErrorFields {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const type = String.fromCharCode(body[offset]!);
    const end = body.indexOf(0, offset + 1);
    if (end < 0) break;
    fields[type] = body.toString("utf8", offset + 1, end);
    offset = end + 1;
  }
  return {
    severity: fields.V ?? fields.S ?? "ERROR",
    code: fields.C ?? "XX000",
    message: fields.M ?? "",
    ...(fields.D !== undefined && { detail: fields.D }),
    ...(fields.H !== undefined && { hint: fields.H }),
  };
}

/** A complete typed message found in a buffer. */
export interface BackendMessage {
  type: string;
  body: Buffer;
  /** The whole message, header included. */
  raw: Buffer;
}

/**
 * Splits complete typed messages off the front of `buffer`; returns them and the rest.
 * Throws on a length that cannot be valid (below 4 or above `maxLength`).
 */
export function splitMessages(buffer: Buffer, maxLength = 1 << 24): { messages: BackendMessage[]; rest: Buffer } {
  const messages: BackendMessage[] = [];
  let offset = 0;
  while (buffer.length - offset >= 5) {
    const length = buffer.readUInt32BE(offset + 1);
    if (length < 4 || length > maxLength) throw new RangeError(`invalid message length ${length}`);
    if (buffer.length - offset < length + 1) break;
    const raw = buffer.subarray(offset, offset + length + 1);
    messages.push({ type: String.fromCharCode(raw[0]!), body: raw.subarray(5), raw });
    offset += length + 1;
  }
  return { messages, rest: buffer.subarray(offset) };
}
