import pg from "pg";
import type { Emulator } from "../src/index.js";

export const SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

/** A pg client through the TLS front with real certificate verification. */
export function client(emu: Emulator, user: string, password: string, ssl: pg.ClientConfig["ssl"] = { ca: emu.ca, rejectUnauthorized: true }): pg.Client {
  const c = new pg.Client({ host: emu.host, port: emu.port, database: emu.database, user, password, ssl });
  c.on("error", () => undefined);
  return c;
}

/** Logs in, returns current_user, disconnects. */
export async function currentUser(emu: Emulator, user: string, password: string): Promise<string> {
  const c = client(emu, user, password);
  await c.connect();
  try {
    const { rows } = await c.query<{ current_user: string }>("select current_user");
    return rows[0]!.current_user;
  } finally {
    await c.end();
  }
}

/** Logs in and expects a refusal; returns the error. */
export async function refusal(emu: Emulator, user: string, password: string, ssl?: pg.ClientConfig["ssl"]): Promise<Error & { code?: string }> {
  const c = client(emu, user, password, ssl);
  try {
    await c.connect();
  } catch (error) {
    return error as Error & { code?: string };
  }
  await c.end();
  throw new Error(`login as ${user} was expected to fail`);
}
