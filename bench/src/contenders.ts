/**
 * The three contenders and how each one gives pg its password.
 */
import type { TokenCredential } from "@azure/identity";
import { entraTokenProvider as oursEntraTokenProvider } from "@azure/postgresql-auth-pg";
import { entraTokenProvider as microsoftEntraTokenProvider } from "ms-postgresql-auth";

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
export function passwordFor(contender: ContenderName, credential: TokenCredential | undefined, staticPassword: string | undefined): PgPassword {
  if (contender === "static") {
    if (staticPassword === undefined) throw new Error("static contender needs a password");
    return staticPassword;
  }
  if (credential === undefined) throw new Error(`${contender} contender needs a credential`);
  const provider = contender === "microsoft" ? microsoftEntraTokenProvider(credential) : oursEntraTokenProvider(credential);
  return () => provider();
}
