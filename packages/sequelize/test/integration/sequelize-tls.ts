// The TLS table's settings as a Sequelize user writes them (v6 in dialectOptions.ssl, v7 in ssl):
// pg's own ssl value, or our sslmode option for a connection without one.
import type { TlsSetting } from "@azure-postgresql-auth/test-support";

export function sequelizeTls(
  tls: TlsSetting | undefined,
  ca: string,
): {
  ssl?: boolean | { ca?: string; rejectUnauthorized: boolean };
  sslmode?: Extract<TlsSetting, { kind: "sslmode" }>["mode"];
} {
  if (tls === undefined) return { ssl: { ca, rejectUnauthorized: true } };
  if (tls.kind === "ssl: false") return { ssl: false };
  if (tls.kind === "rejectUnauthorized: false") return { ssl: { rejectUnauthorized: false } };
  if (tls.kind === "sslmode") return { sslmode: tls.mode };
  return {}; // none, PGSSLMODE: no ssl of its own
}
