/**
 * The three contenders, how each one gives pg its password, the credentials and connection
 * settings their child processes use, and the order they run in.
 */
import { readFileSync } from "node:fs";
import { type AccessToken, AzureCliCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { entraTokenProvider as oursEntraTokenProvider } from "@azure/postgresql-auth-pg";
import { entraTokenProvider as microsoftEntraTokenProvider } from "ms-postgresql-auth";
import type pg from "pg";

export type ContenderName = "static" | "microsoft" | "ours";

export const CONTENDERS: readonly ContenderName[] = ["static", "microsoft", "ours"];
export const TOKEN_CONTENDERS: readonly ContenderName[] = ["microsoft", "ours"];

export const CONTENDER_DESCRIPTIONS: Record<ContenderName, string> = {
  static: "plain password role (app_password) through the same TLS front: the physical limit, no token",
  microsoft: "entraTokenProvider from Microsoft's @azure/postgresql-auth@1.0.0-beta.1 (no cache)",
  ours: "entraTokenProvider from @azure/postgresql-auth-pg (cache, refresh-ahead, single-flight)",
};

export type PgPassword = string | (() => Promise<string>);

/** The value for pg's `password` option: the static password, or the contender's password function. */
export function passwordFor(
  contender: ContenderName,
  credential: TokenCredential | undefined,
  staticPassword: string | undefined,
): PgPassword {
  if (contender === "static") {
    if (staticPassword === undefined) throw new Error("static contender needs a password");
    return staticPassword;
  }
  if (credential === undefined) throw new Error(`${contender} contender needs a credential`);
  const provider =
    contender === "microsoft" ? microsoftEntraTokenProvider(credential) : oursEntraTokenProvider(credential);
  return () => provider();
}

/**
 * Order of contenders in repeated rounds: forward in even rounds, reversed in odd ones, so slow
 * drift of a shared machine does not favour whoever runs first.
 */

export function contenderOrder(round: number, contenders: readonly ContenderName[]): readonly ContenderName[] {
  return round % 2 === 0 ? contenders : [...contenders].reverse();
}

/**
 * The credentials a child process uses. Built in the child, so @azure/identity's in-process state
 * starts fresh for each contender and reads IDENTITY_ENDPOINT / AZURE_CLIENT_ID / PATH from the
 * child's environment.
 */

export type CredentialKind = "default" | "cli" | "instant";

/** An unsigned token shaped like a JWT, for the instant fake credential (never sent to a server). */
function fakeJwt(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ aud: "https://ossrdbms-aad.database.windows.net", iat: now, exp: now + 3600 })}.x`;
}

/** A credential that answers at once with a fixed, valid-for-an-hour token: measures the provider's own overhead. */
export function instantCredential(): TokenCredential {
  const token: AccessToken = { token: fakeJwt(), expiresOnTimestamp: Date.now() + 3_600_000, tokenType: "Bearer" };
  return { getToken: async () => token };
}

export function makeCredential(kind: CredentialKind): TokenCredential {
  switch (kind) {
    case "default":
      return new DefaultAzureCredential();
    case "cli":
      return new AzureCliCredential();
    case "instant":
      return instantCredential();
  }
}

/**
 * pg connection settings of a child: the emulator's TLS front from the environment it was given,
 * with certificate verification against the emulator's CA (never rejectUnauthorized: false).
 */

let ca: string | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set in the child's environment`);
  return value;
}

export function connectionConfig(user: string, password: PgPassword): pg.ClientConfig {
  ca ??= readFileSync(required("PGSSLROOTCERT"), "utf8");
  return {
    host: required("PGHOST"),
    port: Number(required("PGPORT")),
    database: required("PGDATABASE"),
    user,
    password,
    ssl: { ca, rejectUnauthorized: true },
  };
}
