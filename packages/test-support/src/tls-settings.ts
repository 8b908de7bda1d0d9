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

/** The modes by what they do with the token, as the rule says. */
const plaintextModes: readonly TableSslMode[] = ["disable", "allow"];
const verifyingModes: readonly TableSslMode[] = ["prefer", "require", "verify-ca", "verify-full"];
const modes = [...plaintextModes, ...verifyingModes, "no-verify" as const];

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
  if (plaintextModes.includes(setting.mode)) return "refused: plaintext";
  return verifyingModes.includes(setting.mode) ? "verified" : "refused: unverified";
}

/**
 * The driver's own `ssl` value for a row (pg's `ssl`, Sequelize's, Knex's `connection.ssl`,
 * Slonik's `ssl`): `undefined` when the row is not an `ssl` value (leave the driver's unset).
 */
export function sslValueFor(tls: TlsSetting | undefined): false | { rejectUnauthorized: false } | undefined {
  if (tls?.kind === "ssl: false") return false;
  return tls?.kind === "rejectUnauthorized: false" ? { rejectUnauthorized: false } : undefined;
}

/**
 * The adapter's `sslmode`/`sslrootcert` settings: for the suite's ordinary connections (no row),
 * verified TLS with the emulator's CA file; for an `sslmode` row, that mode; else none.
 */
export function sslmodeSettingsFor(
  tls: TlsSetting | undefined,
  caFile: string,
): { sslmode?: TableSslMode; sslrootcert?: string } {
  if (tls === undefined) return { sslmode: "verify-full", sslrootcert: caFile };
  return tls.kind === "sslmode" ? { sslmode: tls.mode } : {};
}
