/**
 * The TLS settings every adapter is tested with, as a user of its driver writes them, and the one
 * outcome the core's login policy gives each: the token goes only over TLS that verifies the server.
 */
export type TlsSetting =
  | { kind: "none" }
  | { kind: "ssl: false" }
  | { kind: "rejectUnauthorized: false" }
  | { kind: "sslmode"; mode: TableSslMode }
  | { kind: "PGSSLMODE"; mode: TableSslMode };

/** What the user sets, the same names in every adapter. */
export type TlsSettingKind = TlsSetting["kind"];

/** libpq's modes and `no-verify`. */
export type TableSslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full" | "no-verify";

/** What a setting does with the token: verified TLS, or refused as plaintext or as unverified TLS. */
export type TlsOutcome = "verified" | "refused: plaintext" | "refused: unverified";

const modes: readonly TableSslMode[] = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
  "no-verify",
];

/** Every row of the table. */
export const tlsSettings: readonly TlsSetting[] = [
  { kind: "none" },
  { kind: "ssl: false" },
  { kind: "rejectUnauthorized: false" },
  ...modes.map((mode) => ({ kind: "sslmode" as const, mode })),
  ...modes.map((mode) => ({ kind: "PGSSLMODE" as const, mode })),
];

/** The row's name in test titles. */
export function describeTlsSetting(setting: TlsSetting): string {
  return "mode" in setting ? `${setting.kind} ${setting.mode}` : setting.kind;
}

/**
 * The one rule. `plaintextWithoutSetting`: the driver's own default is no TLS and the adapter
 * cannot turn TLS on (pg: a password function cannot), so "no setting" is plaintext there.
 */
export function expectedTlsOutcome(setting: TlsSetting, plaintextWithoutSetting = false): TlsOutcome {
  if (setting.kind === "none") return plaintextWithoutSetting ? "refused: plaintext" : "verified";
  if (setting.kind === "ssl: false") return "refused: plaintext";
  if (setting.kind === "rejectUnauthorized: false") return "refused: unverified";
  if (setting.mode === "disable" || setting.mode === "allow") return "refused: plaintext";
  return setting.mode === "no-verify" ? "refused: unverified" : "verified";
}
