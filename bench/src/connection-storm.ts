/** Many connections opened at once, and how many of them failed: the core of the storm scenarios. */
import pg from "pg";
import { errorSummary, sleep } from "./measure.js";

/** What a storm child reports: wall time, failed connections and up to three distinct errors. */
export interface StormOutcome {
  wallMs: number;
  failed: number;
  errors: string[];
}

/** Counts the rejected outcomes and adds their token-free summaries to `errors`. */
export function countFailures(settled: readonly PromiseSettledResult<unknown>[], errors: Set<string>): number {
  let failed = 0;
  for (const outcome of settled) {
    if (outcome.status === "rejected") {
      failed += 1;
      errors.add(errorSummary(outcome.reason));
    }
  }
  return failed;
}

/** `connections` pg.Clients with `config` connect at once and each runs `select 1`; then all are closed. */
export async function pgConnectionStorm(config: pg.ClientConfig, connections: number): Promise<StormOutcome> {
  const clients = Array.from(
    { length: connections },
    () => new pg.Client({ ...config, connectionTimeoutMillis: 60_000 }),
  );
  const started = performance.now();
  const settled = await Promise.allSettled(
    clients.map(async (client) => {
      await client.connect();
      await client.query("select 1");
    }),
  );
  const wallMs = performance.now() - started;
  const errors = new Set<string>();
  const failed = countFailures(settled, errors);
  await Promise.race([Promise.allSettled(clients.map((c) => c.end())), sleep(5_000)]);
  return { wallMs, failed, errors: [...errors].slice(0, 3) };
}
