/**
 * pg connection settings of a child: the emulator's TLS front from the environment it was given,
 * with certificate verification against the emulator's CA (never rejectUnauthorized: false).
 */
import { readFileSync } from "node:fs";
import type pg from "pg";
import type { PgPassword } from "./contenders.js";

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
