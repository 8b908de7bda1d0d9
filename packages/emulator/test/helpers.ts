import pg from "pg";
import type { Emulator } from "../src/index.js";

export const SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

/** A pg client through the TLS front with real certificate verification. */
export function client(
  emu: Emulator,
  user: string,
  password: string,
  ssl: pg.ClientConfig["ssl"] = { ca: emu.ca, rejectUnauthorized: true },
): pg.Client {
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
export async function refusal(
  emu: Emulator,
  user: string,
  password: string,
  ssl?: pg.ClientConfig["ssl"],
): Promise<Error & { code?: string }> {
  const c = client(emu, user, password, ssl);
  try {
    await c.connect();
  } catch (error) {
    return error as Error & { code?: string };
  }
  await c.end();
  throw new Error(`login as ${user} was expected to fail`);
}

/** Polls pg_stat_activity (as `user`, who sees its own sessions) until a session runs `query`. */
export async function waitForActiveQuery(emu: Emulator, user: string, query: string): Promise<void> {
  const watcher = client(emu, user, emu.issueToken(user));
  await watcher.connect();
  try {
    const deadline = Date.now() + 60_000; // a ceiling against a hang, not a speed check
    while (Date.now() < deadline) {
      const { rows } = await watcher.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where state = 'active' and query = $1 and pid <> pg_backend_pid()",
        [query],
      );
      if (rows[0]!.n > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no session started ${query}`);
  } finally {
    await watcher.end();
  }
}
