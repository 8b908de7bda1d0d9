/**
 * A stand-in `az` executable for `AzureCliCredential`: a small Node script that answers
 * `az account get-access-token --output json --resource <resource> [--tenant ...]` with a
 * token from the emulator (counted as way `az`, one request per spawn).
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EMULATOR_SUBSCRIPTION_ID } from "./default-principals.js";
import { AZ_TOKEN_PATH } from "./managed-identity-endpoint.js";

/**
 * Options of `emu.createAzStandIn()`.
 *
 * @example
 * ```ts
 * import { startEmulator, type AzStandInOptions } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const options: AzStandInOptions = { principal: "reporting-app", delayMs: 300 };
 * const az = await emu.createAzStandIn(options); // az.path answers `az account get-access-token`
 * ```
 */
export interface AzStandInOptions {
  /** Principal whose tokens `az` returns. Default: the user (`alice@contoso.com`). */
  principal?: string;
  /** Extra delay of every `az` run in ms, like a real CLI start (e.g. 300). Default 0. */
  delayMs?: number;
}

/**
 * Where the stand-in lives.
 *
 * @example
 * ```ts
 * import { AzureCliCredential } from "@azure/identity";
 * import { delimiter } from "node:path";
 * import { startEmulator, type AzStandIn } from "@azure/postgresql-auth-emulator";
 * const emu = await startEmulator();
 * const az: AzStandIn = await emu.createAzStandIn();
 * process.env.PATH = `${az.binDir}${delimiter}${process.env.PATH}`;
 * const { token } = await new AzureCliCredential().getToken("https://ossrdbms-aad.database.windows.net/.default");
 * ```
 */
export interface AzStandIn {
  /** Folder holding `az`: prepend it to `PATH`. */
  binDir: string;
  /** Full path of the `az` script. */
  path: string;
}

function script(config: {
  url: string;
  secret: string;
  principal: string;
  delayMs: number;
  tenantId: string;
  subscriptionId: string;
}): string {
  return `#!${process.execPath}
// Stand-in "az" written by @azure/postgresql-auth-emulator. Supports only "az account get-access-token".
"use strict";
const http = require("node:http");
const config = ${JSON.stringify(config)};
const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
if (args[0] === "--version" || args[0] === "version") {
  process.stdout.write(JSON.stringify({ "azure-cli": "2.99.0-emulator" }) + "\\n");
  process.exit(0);
}
if (args[0] !== "account" || args[1] !== "get-access-token") {
  process.stderr.write("ERROR: this stand-in az only supports 'az account get-access-token'.\\n");
  process.exit(2);
}
let resource = option("--resource");
const scope = option("--scope");
if (!resource && scope) resource = scope.replace(/\\/\\.default$/, "");
if (!resource) resource = "https://management.core.windows.net/";
const pad = (n, w = 2) => String(n).padStart(w, "0");
const localTime = (d) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3) + "000";
setTimeout(() => {
  const url = config.url + "?resource=" + encodeURIComponent(resource) + "&principal=" + encodeURIComponent(config.principal);
  const req = http.get(url, { headers: { "X-IDENTITY-HEADER": config.secret } }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (c) => (body += c));
    res.on("end", () => {
      let parsed;
      try { parsed = JSON.parse(body); } catch { parsed = {}; }
      if (res.statusCode !== 200) {
        process.stderr.write("ERROR: " + (parsed.error_description || "token request failed with HTTP " + res.statusCode) + "\\n");
        process.exit(1);
      }
      const expiresOn = Number(parsed.expires_on);
      process.stdout.write(JSON.stringify({
        accessToken: parsed.access_token,
        expiresOn: localTime(new Date(expiresOn * 1000)),
        expires_on: expiresOn,
        subscription: config.subscriptionId,
        tenant: option("--tenant") || config.tenantId,
        tokenType: "Bearer",
      }, null, 2) + "\\n");
      process.exit(0);
    });
  });
  req.on("error", (e) => {
    process.stderr.write("ERROR: the emulator is not reachable (" + e.message + "). Please run 'az login' to setup account.\\n");
    process.exit(1);
  });
}, config.delayMs);
`;
}

/** Writes a stand-in `az` into a new folder under `parentDir`. */
export async function writeAzStandIn(
  parentDir: string,
  config: { baseUrl: string; secret: string; principal: string; delayMs: number; tenantId: string },
): Promise<AzStandIn> {
  const binDir = join(parentDir, `az-bin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(binDir, { recursive: true, mode: 0o700 });
  const path = join(binDir, "az");
  await writeFile(
    path,
    script({
      url: `${config.baseUrl}${AZ_TOKEN_PATH}`,
      secret: config.secret,
      principal: config.principal,
      delayMs: config.delayMs,
      tenantId: config.tenantId,
      subscriptionId: EMULATOR_SUBSCRIPTION_ID,
    }),
  );
  await chmod(path, 0o700);
  return { binDir, path };
}
