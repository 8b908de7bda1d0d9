/**
 * PostgreSQL has no `pgaadauth` security label provider without Azure's C extension, so the
 * TLS front rewrites `SECURITY LABEL [FOR pgaadauth] ON ROLE <role> IS '<label>' | NULL` in
 * the client's Query and Parse messages into a call of
 * `pg_catalog.pgaadauth_emulator_security_label(<role>, <label>)`, which checks the caller
 * and stores the mapping. Every other message passes through unchanged.
 */

const STATEMENT =
  /SECURITY\s+LABEL\s+(?:FOR\s+(?:"pgaadauth"|pgaadauth)\s+)?ON\s+ROLE\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s+IS\s+('(?:[^']|'')*'|NULL)/gi;

function identifierToLiteral(identifier: string): string {
  const name = identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier.toLowerCase();
  return `'${name.replace(/'/g, "''")}'`;
}

/** Rewrites the pgaadauth SECURITY LABEL statements in `sql`; returns `sql` itself when there are none. */
export function rewriteSecurityLabels(sql: string): string {
  if (!/SECURITY\s+LABEL/i.test(sql)) return sql;
  return sql.replace(STATEMENT, (_all, role: string, label: string) => {
    return `SELECT pg_catalog.pgaadauth_emulator_security_label(${identifierToLiteral(role)}, ${label.toUpperCase() === "NULL" ? "NULL" : label})`;
  });
}

/** Splits the client's byte stream into messages and rewrites Query ('Q') and Parse ('P') messages. */
export class ClientMessageRewriter {
  private pending: Buffer = Buffer.alloc(0);

  /** Takes bytes from the client, returns the bytes to send to the backend (whole messages only). */
  push(chunk: Buffer): Buffer {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 5) {
      const length = this.pending.readInt32BE(offset + 1);
      if (this.pending.length - offset < 1 + length) break;
      out.push(rewriteMessage(this.pending.subarray(offset, offset + 1 + length)));
      offset += 1 + length;
    }
    this.pending = this.pending.subarray(offset);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }
}

function rewriteMessage(message: Buffer): Buffer {
  const type = message[0];
  if (type === 0x51 /* Q */) {
    const sql = message.toString("utf8", 5, message.length - 1);
    const rewritten = rewriteSecurityLabels(sql);
    if (rewritten === sql) return message;
    const body = Buffer.from(`${rewritten}\0`, "utf8");
    const header = Buffer.alloc(5);
    header[0] = 0x51;
    header.writeInt32BE(4 + body.length, 1);
    return Buffer.concat([header, body]);
  }
  if (type === 0x50 /* P */) {
    const nameEnd = message.indexOf(0, 5);
    const queryEnd = message.indexOf(0, nameEnd + 1);
    if (nameEnd < 0 || queryEnd < 0) return message;
    const sql = message.toString("utf8", nameEnd + 1, queryEnd);
    const rewritten = rewriteSecurityLabels(sql);
    if (rewritten === sql) return message;
    const name = message.subarray(5, nameEnd + 1);
    const rest = message.subarray(queryEnd);
    const query = Buffer.from(rewritten, "utf8");
    const header = Buffer.alloc(5);
    header[0] = 0x50;
    header.writeInt32BE(4 + name.length + query.length + rest.length, 1);
    return Buffer.concat([header, name, query, rest]);
  }
  return message;
}
