import { describe, expect, it } from "vitest";
import { ClientMessageRewriter, rewriteSecurityLabels } from "../src/security-label-rewriter.js";

function query(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const header = Buffer.alloc(5);
  header[0] = 0x51;
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

describe("SECURITY LABEL rewriting in the TLS front", () => {
  it("rewrites quoted and unquoted role names, escaped quotes, NULL, with or without FOR", () => {
    expect(
      rewriteSecurityLabels(`SECURITY LABEL FOR "pgaadauth" ON ROLE "O""Brien" IS 'aadauth,oid=x,type=user'`),
    ).toBe(`SELECT pg_catalog.pgaadauth_emulator_security_label('O"Brien', 'aadauth,oid=x,type=user')`);
    expect(rewriteSecurityLabels(`security label on role Etl_Job is NULL;`)).toBe(
      `SELECT pg_catalog.pgaadauth_emulator_security_label('etl_job', NULL);`,
    );
    expect(rewriteSecurityLabels(`SECURITY LABEL FOR pgaadauth ON ROLE "it's" IS 'a''b'`)).toBe(
      `SELECT pg_catalog.pgaadauth_emulator_security_label('it''s', 'a''b')`,
    );
  });

  it("leaves other statements and other providers alone", () => {
    const sql = "select 'SECURITY LABEL' as x";
    expect(rewriteSecurityLabels(sql)).toBe(sql);
    const selinux = "SECURITY LABEL FOR selinux ON TABLE t IS 'x'";
    expect(rewriteSecurityLabels(selinux)).toBe(selinux);
  });

  it("rewrites only statements: not inside strings, dollar quotes, quoted names or comments", () => {
    const label = "SECURITY LABEL FOR pgaadauth ON ROLE r IS 'aadauth,oid=x,type=user'";
    const call = "SELECT pg_catalog.pgaadauth_emulator_security_label('r', 'aadauth,oid=x,type=user')";
    for (const sql of [
      `select '${label.replace(/'/g, "''")}' as x`,
      `select E'\\'' || '${label.replace(/'/g, "''")}'`,
      `select $$${label}$$`,
      `select $q$ ; ${label} $q$`,
      `select 1 as "${label.replace(/'/g, "")}"`,
      `-- ${label}\nselect 1`,
      `/* ${label} */ select 1`,
      `/* nested /* ${label} */ still a comment */ select 1`,
    ]) {
      expect(rewriteSecurityLabels(sql)).toBe(sql);
    }
    expect(rewriteSecurityLabels(`select 1; ${label}`)).toBe(`select 1; ${call}`);
    expect(rewriteSecurityLabels(`/* why */ -- and how\n  ${label};${label}`)).toBe(
      `/* why */ -- and how\n  ${call};${call}`,
    );
    expect(rewriteSecurityLabels(`select ';'; ${label}`)).toBe(`select ';'; ${call}`);
  });

  it("rewrites a Query message split across chunks and passes other messages through byte for byte", () => {
    const rewriter = new ClientMessageRewriter();
    const label = query(`SECURITY LABEL ON ROLE r IS 'aadauth,oid=x,type=user'`);
    const plain = query("select 1");
    const all = Buffer.concat([plain, label]);
    const first = rewriter.push(all.subarray(0, plain.length + 3));
    const second = rewriter.push(all.subarray(plain.length + 3));
    expect(first.equals(plain)).toBe(true);
    expect(second.toString("utf8", 5, second.length - 1)).toBe(
      `SELECT pg_catalog.pgaadauth_emulator_security_label('r', 'aadauth,oid=x,type=user')`,
    );
    expect(second.readInt32BE(1)).toBe(second.length - 1);
  });
});
