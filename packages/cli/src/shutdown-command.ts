/**
 * `azure-postgresql-auth shutdown --http-port P [--http-address A]`: POST /quitquitquit to a
 * running proxy (started with --quitquitquit), which then drains as on SIGTERM and exits.
 */
import { commandHelp } from "./cli-help.js";
import { resolveOptions } from "./cli-options.js";
import { EXIT } from "./exit-codes.js";
import { healthUrl } from "./health-url.js";
import type { CliIo } from "./run-cli.js";

/** Runs the shutdown command; resolves with 0 when the proxy accepted, 1 otherwise. */
export async function shutdownCommand(args: string[], io: CliIo): Promise<number> {
  const resolved = resolveOptions("shutdown", args, io.env);
  if (resolved.help) {
    io.stdout(commandHelp("shutdown"));
    return EXIT.ok;
  }
  const url = healthUrl(resolved, "/quitquitquit");
  let status: number;
  try {
    const res = await fetch(url, { method: "POST", signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    status = res.status;
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    io.stderr(
      `azure-postgresql-auth shutdown: no proxy answers at ${url} (${code}); check --http-port and --http-address\n`,
    );
    return EXIT.failed;
  }
  if (status === 200) return EXIT.ok;
  const why =
    status === 404
      ? "it does not serve /quitquitquit: start the proxy with --quitquitquit"
      : status === 403
        ? "it takes /quitquitquit from this machine (loopback) only"
        : `it answered HTTP ${status}`;
  io.stderr(`azure-postgresql-auth shutdown: the proxy at ${url} did not accept: ${why}\n`);
  return EXIT.failed;
}
