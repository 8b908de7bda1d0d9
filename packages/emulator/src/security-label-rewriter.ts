/**
 * PostgreSQL has no `pgaadauth` security label provider without Azure's C extension, so the
 * TLS front rewrites `SECURITY LABEL [FOR pgaadauth] ON ROLE <role> IS '<label>' | NULL` in
 * the client's Query and Parse messages into a call of
 * `pg_catalog.pgaadauth_emulator_security_label(<role>, <label>)`, which checks the caller
 * and stores the mapping. Every other message passes through unchanged.
 */

/** The statement, matched only where a statement starts (sticky). */
const STATEMENT =
  /SECURITY\s+LABEL\s+(?:FOR\s+(?:"pgaadauth"|pgaadauth)\s+)?ON\s+ROLE\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s+IS\s+('(?:[^']|'')*'|NULL)/iy;

function identifierToLiteral(identifier: string): string {
  const name = identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier.toLowerCase();
  return `'${name.replace(/'/g, "''")}'`;
}

/** Rewrites the pgaadauth SECURITY LABEL statements in `sql`; returns `sql` itself when there are none. */
export function rewriteSecurityLabels(sql: string): string {
  if (!/SECURITY\s+LABEL/i.test(sql)) return sql;
  let out = "";
  let copied = 0;
  for (const start of statementStarts(sql)) {
    STATEMENT.lastIndex = start;
    const match = STATEMENT.exec(sql);
    if (!match) continue;
    const [all, role, label] = match as unknown as [string, string, string];
    const value = label.toUpperCase() === "NULL" ? "NULL" : label;
    out += `${sql.slice(copied, start)}SELECT pg_catalog.pgaadauth_emulator_security_label(${identifierToLiteral(role)}, ${value})`;
    copied = start + all.length;
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}

/**
 * Offsets in `sql` where a statement's first word starts: after the beginning or a `;`, past
 * whitespace and comments, never inside a string ('…', E'…'), a quoted name ("…"), a dollar-quoted
 * string ($tag$…$tag$) or a comment (-- and nested block comments).
 */
function statementStarts(sql: string): number[] {
  const starts: number[] = [];
  let atStart = true;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      i = endOfBlockComment(sql, i);
    } else if (c === ";") {
      atStart = true;
      i++;
    } else {
      if (atStart) starts.push(i);
      atStart = false;
      i = endOfToken(sql, i);
    }
  }
  return starts;
}

/** The offset after the block comment that starts at `i` (PostgreSQL's block comments nest). */
function endOfBlockComment(sql: string, i: number): number {
  let depth = 0;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/** The offset after the string, quoted name or dollar-quoted string at `i`, else after one character. */
function endOfToken(sql: string, i: number): number {
  const c = sql[i]!;
  const previous = sql[i - 1] ?? "";
  const wordBefore = /[\w$]/.test(previous);
  if (c === "'") {
    const escapes = (previous === "E" || previous === "e") && !/[\w$]/.test(sql[i - 2] ?? "");
    for (let j = i + 1; j < sql.length; j++) {
      if (escapes && sql[j] === "\\") j++;
      else if (sql[j] === "'") {
        if (sql[j + 1] === "'") j++;
        else return j + 1;
      }
    }
    return sql.length;
  }
  if (c === '"') {
    for (let j = i + 1; j < sql.length; j++) {
      if (sql[j] === '"') {
        if (sql[j + 1] === '"') j++;
        else return j + 1;
      }
    }
    return sql.length;
  }
  if (c === "$" && !wordBefore) {
    DOLLAR_TAG.lastIndex = i;
    const tag = DOLLAR_TAG.exec(sql)?.[0];
    if (tag) {
      const end = sql.indexOf(tag, i + tag.length);
      return end < 0 ? sql.length : end + tag.length;
    }
  }
  return i + 1;
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
