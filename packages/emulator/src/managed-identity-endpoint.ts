/**
 * App Service style managed identity endpoint on 127.0.0.1 (what an unmodified
 * `DefaultAzureCredential` / `ManagedIdentityCredential` calls when `IDENTITY_ENDPOINT`
 * and `IDENTITY_HEADER` are set), plus the route the stand-in `az` uses.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PrincipalDirectory } from "./principal-directory.js";
import type { Principal, PrincipalInput } from "./principal-types.js";
import type { TokenService, TokenWay } from "./token-service.js";

/** Path of the managed identity token route. */
export const MANAGED_IDENTITY_PATH = "/msi/token";
/** Path of the route used by the stand-in `az`. */
export const AZ_TOKEN_PATH = "/az/token";
/** Path of the route the CLI's `add-principal` command posts to (same secret header). */
export const PRINCIPALS_PATH = "/emulator/principals";

/** Options of {@link startManagedIdentityEndpoint}. */
export interface ManagedIdentityEndpointOptions {
  service: TokenService;
  directory: PrincipalDirectory;
  /** Principal served when the request names no identity. */
  defaultPrincipal: () => string;
  /** Principal served to the stand-in `az` when it names none. */
  defaultAzPrincipal: () => string;
  /** Adds a principal at run time (route {@link PRINCIPALS_PATH}). */
  addPrincipal?: (input: PrincipalInput, options: { createRole?: boolean }) => Promise<Principal>;
}

/** A running endpoint. */
export interface ManagedIdentityEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** Value for `IDENTITY_ENDPOINT`. */
  identityEndpoint: string;
  /** Value for `IDENTITY_HEADER` (the secret the `X-IDENTITY-HEADER` request header must carry). */
  identityHeader: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Starts the endpoint on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const mi = await startManagedIdentityEndpoint({ service, directory, defaultPrincipal: () => "orders-api-identity", defaultAzPrincipal: () => "alice@contoso.com" });
 * process.env.IDENTITY_ENDPOINT = mi.identityEndpoint;
 * process.env.IDENTITY_HEADER = mi.identityHeader;
 * ```
 */
export async function startManagedIdentityEndpoint(
  options: ManagedIdentityEndpointOptions,
): Promise<ManagedIdentityEndpoint> {
  const secret = randomBytes(24).toString("hex");

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/health") return send(res, 200, { status: "ok" });
    if (url.pathname === PRINCIPALS_PATH && options.addPrincipal) {
      if (req.method !== "POST") return send(res, 405, { error: "invalid_request", error_description: "Use POST." });
      if (!sameSecret(req.headers["x-identity-header"], secret)) {
        return send(res, 401, { error: "unauthorized", error_description: "Missing or wrong X-IDENTITY-HEADER." });
      }
      let text = "";
      for await (const chunk of req) text += String(chunk);
      let body: { principal?: PrincipalInput; createRole?: boolean };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return send(res, 400, { error: "invalid_request", error_description: "The body must be JSON." });
      }
      if (!body.principal || typeof body.principal.name !== "string") {
        return send(res, 400, {
          error: "invalid_request",
          error_description: "The body needs principal: { kind, name, ... }.",
        });
      }
      try {
        const principal = await options.addPrincipal(body.principal, { createRole: body.createRole });
        return send(
          res,
          200,
          principal.kind === "password"
            ? { kind: principal.kind, name: principal.name, roleName: principal.roleName }
            : principal,
        );
      } catch (error) {
        return send(res, 400, {
          error: "invalid_request",
          error_description: error instanceof Error ? error.message : String(error),
        });
      }
    }
    const way: TokenWay | undefined =
      url.pathname === MANAGED_IDENTITY_PATH
        ? "managedIdentityEndpoint"
        : url.pathname === AZ_TOKEN_PATH
          ? "az"
          : undefined;
    if (!way) return send(res, 404, { error: "not_found", error_description: `No route ${url.pathname}.` });
    if (req.method !== "GET") return send(res, 405, { error: "invalid_request", error_description: "Use GET." });
    if (!sameSecret(req.headers["x-identity-header"], secret)) {
      return send(res, 401, { error: "unauthorized", error_description: "Missing or wrong X-IDENTITY-HEADER." });
    }
    const resource = url.searchParams.get("resource");
    if (!resource)
      return send(res, 400, { error: "invalid_request", error_description: "The 'resource' parameter is required." });

    let principalName: string;
    if (way === "az") {
      const asked = url.searchParams.get("principal");
      // A principal name or a role name (the CLI's token command passes PGUSER).
      principalName = asked
        ? ((options.directory.get(asked) ?? options.directory.byRole(asked))?.name ?? asked)
        : options.defaultAzPrincipal();
    } else {
      const clientId = url.searchParams.get("client_id") ?? undefined;
      const objectId = url.searchParams.get("principal_id") ?? url.searchParams.get("object_id") ?? undefined;
      const resourceId = url.searchParams.get("mi_res_id") ?? url.searchParams.get("msi_res_id") ?? undefined;
      if (clientId || objectId || resourceId) {
        const mi = options.directory.managedIdentityBy({ clientId, objectId, resourceId });
        if (!mi) {
          return send(res, 400, {
            error: "invalid_request",
            error_description: `No managed identity assigned with ${clientId ? `client_id ${clientId}` : objectId ? `principal_id ${objectId}` : `mi_res_id ${resourceId}`}.`,
          });
        }
        principalName = mi.name;
      } else {
        principalName = options.defaultPrincipal();
      }
    }
    const principal = options.directory.get(principalName);
    if (!principal || principal.kind === "group" || principal.kind === "password") {
      return send(res, 400, { error: "invalid_request", error_description: `Unknown principal "${principalName}".` });
    }

    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    let outcome: Awaited<ReturnType<typeof options.service.request>>;
    try {
      outcome = await options.service.request(principalName, way, resource, controller.signal);
    } catch {
      return; // client went away
    }
    if (!outcome.ok) {
      if (outcome.status === 429) res.setHeader("retry-after", "1");
      return send(res, outcome.status, { error: outcome.error, error_description: outcome.description });
    }
    const body: Record<string, string> = {
      access_token: outcome.token,
      expires_on: String(Math.floor(outcome.expiresOnTimestamp / 1000)),
      resource,
      token_type: "Bearer",
    };
    if (principal.kind !== "user") body.client_id = principal.clientId;
    send(res, 200, body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: "server_error", error_description: "Internal emulator error." });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    identityEndpoint: `${baseUrl}${MANAGED_IDENTITY_PATH}`,
    identityHeader: secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
