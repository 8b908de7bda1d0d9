import { DefaultAzureCredential } from "@azure/identity";
import type { Emulator } from "@azure/postgresql-auth-emulator";
import { entraTokenProvider } from "@azure/postgresql-auth-pg";
import pg from "pg";
import type { Narrator } from "./narrator.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Tokens that live a few seconds; new connections are opened before, across and after the
 * first token's expiry. Each one must log in: the cache refreshes ahead of expiry.
 * Needs process.env to point DefaultAzureCredential at the emulator.
 */
export async function tokenRotation(emu: Emulator, narrator: Narrator, lifetimeSeconds: number): Promise<boolean> {
  const identity = emu.principals.managedIdentity;
  emu.configurePrincipal(identity.name, { tokenLifetimeSeconds: lifetimeSeconds });
  const before = emu.stats();
  const inSeconds = (timestamp: number) =>
    `${new Date(timestamp).toISOString().slice(11, 19)} (in ${((timestamp - Date.now()) / 1000).toFixed(1)} s)`;
  const password = entraTokenProvider(new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } }), {
    onTokenEvent: (event) => {
      if (event.type === "credentialCall")
        narrator.say("→ credential call: a new token from the managed identity endpoint");
      if (event.type === "cacheHit") narrator.say(`→ cached token, expires at ${inSeconds(event.expiresOnTimestamp)}`);
      if (event.type === "backgroundRefresh")
        narrator.say("→ past its refresh point: keep using it, fetch the next one in the background");
      if (event.type === "refreshFailed")
        narrator.say(`→ refresh failed (${event.error.message}); retry in ${event.retryInMs} ms`);
    },
  });
  const schedule = [0, 0.25, 0.6, 1.3].map((f) => f * lifetimeSeconds * 1000);
  const start = Date.now();
  for (const [i, at] of schedule.entries()) {
    await sleep(Math.max(0, start + at - Date.now()));
    narrator.at(`new connection ${i + 1}`);
    const client = new pg.Client({
      host: emu.host,
      port: emu.port,
      database: emu.database,
      user: identity.roleName,
      password,
      ssl: { ca: emu.ca, rejectUnauthorized: true }, // this process started before the emulator made its CA
    });
    await client.connect();
    const { rows } = await client.query<{ user: string }>("select current_user as user");
    narrator.say(`logged in as ${rows[0]!.user}`);
    await client.end();
  }
  const after = emu.stats();
  const requests = after.tokenRequests.managedIdentityEndpoint - before.tokenRequests.managedIdentityEndpoint;
  const refused = after.logins.refused - before.logins.refused;
  narrator.say(
    `${schedule.length} connections over ${(schedule[schedule.length - 1]! / 1000).toFixed(1)} s with ${lifetimeSeconds}-second tokens: ` +
      `${requests} token requests, ${refused} logins refused by the server`,
  );
  return refused === 0;
}
