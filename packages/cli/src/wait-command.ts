/**
 * `azure-postgresql-auth wait --http-port P [--http-address A] [--max S]`: polls a running
 * proxy's /startup until it says started (exit 0) or --max seconds pass (exit 1).
 */
import { commandHelp } from "./cli-help.js";
import { resolveOptions } from "./cli-options.js";
import { EXIT } from "./exit-codes.js";
import { healthUrl } from "./health-url.js";
import { secondsOption } from "./launch-proxy.js";
import type { CliIo } from "./run-cli.js";

const POLL_MS = 200;

/** Runs the wait command; resolves with its exit code. */
export async function waitCommand(args: string[], io: CliIo): Promise<number> {
  const resolved = resolveOptions("wait", args, io.env);
  if (resolved.help) {
    io.stdout(commandHelp("wait"));
    return EXIT.ok;
  }
  const url = healthUrl(resolved, "/startup");
  const maxMs = secondsOption(resolved.values.max as string | undefined, "--max") ?? 30_000;
  const deadline = Date.now() + maxMs;
  let last = "no answer";
  for (;;) {
    const left = deadline - Date.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(2000, left))) });
      await res.arrayBuffer();
      if (res.status === 200) return EXIT.ok;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    }
    const wait = Math.min(POLL_MS, deadline - Date.now());
    if (wait <= 0) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  io.stderr(
    `azure-postgresql-auth wait: the proxy at ${url} did not report started within ${maxMs / 1000} s (last: ${last}); check --http-port and --http-address, and the proxy's log\n`,
  );
  return EXIT.failed;
}
