/**
 * `azure-postgresql-auth proxy`: runs the proxy until SIGTERM, SIGINT or POST /quitquitquit,
 * then keeps accepting for --min-sigterm-delay, drains for up to --max-sigterm-delay and exits
 * (0, or 5 when connections had to be closed, unless --exit-zero-on-sigterm). A second signal
 * cuts the remaining waits short.
 */
import { EntraAuthError } from "@azure/postgresql-auth-core";
import { redactTokens } from "@azure/postgresql-auth-core/internal";
import { commandHelp } from "./cli-help.js";
import { resolveOptions } from "./cli-options.js";
import { EXIT } from "./exit-codes.js";
import { launchProxy, secondsOption } from "./launch-proxy.js";
import type { CliIo } from "./run-cli.js";

/** Runs the proxy command; resolves with its exit code. */
export async function proxyCommand(args: string[], io: CliIo): Promise<number> {
  const resolved = resolveOptions("proxy", args, io.env);
  if (resolved.help) {
    io.stdout(commandHelp("proxy"));
    return EXIT.ok;
  }
  const acceptMs =
    secondsOption(resolved.values["min-sigterm-delay"] as string | undefined, "--min-sigterm-delay") ?? 0;
  const exitZero = resolved.values["exit-zero-on-sigterm"] === true;
  let requested: ((reason: string) => void) | undefined;
  const stopRequests: string[] = [];
  const requestStop = (reason: string) => {
    stopRequests.push(reason);
    requested?.(reason);
  };
  io.onStop(requestStop);
  const launched = await launchProxy(resolved, io, {
    command: "proxy",
    onQuitQuitQuit: () => requestStop("quitquitquit"),
  });
  if (typeof launched === "number") return launched;
  const { proxy, health, logger, drainMs } = launched;
  launched.markStarted();
  logger.log("info", "started", { servers: proxy.servers.map((s) => s.server) });
  // Warm the cache so the first client does not wait; a failure here is reported, not fatal
  // (the identity may become available later; /readiness tells).
  proxy.checkToken().then(
    () => logger.log("info", "token_ready", {}),
    (error: unknown) =>
      logger.log("warn", "token_unavailable", {
        code: EntraAuthError.isInstance(error) ? error.code : "TOKEN_ACQUISITION_FAILED",
        error: redactTokens(error instanceof Error ? error.message : String(error)),
      }),
  );

  const reason = stopRequests[0] ?? (await new Promise<string>((resolve) => (requested = (r: string) => resolve(r))));
  // Any further request (a second Ctrl+C) stops at once: no more accepting, no more waiting.
  requested = (again) => {
    logger.log("info", "shutdown_now", { reason: again, open: proxy.openConnections });
    void proxy.close({ drainMs: 0, acceptMs: 0 });
  };
  logger.log("info", "shutdown", {
    reason,
    open: proxy.openConnections,
    minSigtermDelayMs: acceptMs,
    maxSigtermDelayMs: drainMs,
  });
  const { forced } = await proxy.close({ drainMs, acceptMs });
  await health?.close();
  await launched.telemetry?.shutdown(); // the last metrics and spans, before the process exits
  return forced > 0 && !exitZero ? EXIT.forcedShutdown : EXIT.ok;
}
