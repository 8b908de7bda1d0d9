/** The URL of a running proxy's health server, from --http-address and --http-port (wait, shutdown). */
import type { ResolvedOptions } from "./cli-options.js";
import { intOption } from "./launch-proxy.js";
import { UsageError } from "./usage-error.js";

/** `http://ADDR:PORT/path`; the port is required (flag, environment or config file). */
export function healthUrl(resolved: ResolvedOptions, path: string): string {
  const port = intOption(resolved.values["http-port"] as string | undefined, "--http-port", 1);
  if (port === undefined) {
    throw new UsageError("give the proxy's health port with --http-port (or AZURE_POSTGRESQL_AUTH_HTTP_PORT)");
  }
  const address = (resolved.values["http-address"] as string | undefined) ?? "127.0.0.1";
  const host =
    address === "0.0.0.0" ? "127.0.0.1" : address === "::" ? "[::1]" : address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${port}${path}`;
}
