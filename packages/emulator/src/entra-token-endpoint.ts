/**
 * An Entra-like token endpoint over HTTPS (the emulator's CA), so that `ClientSecretCredential`,
 * `EnvironmentCredential`, `ClientAssertionCredential` and `WorkloadIdentityCredential` run
 * against the emulator with `AZURE_AUTHORITY_HOST` pointing here. It serves what MSAL asks for:
 * the tenant's OpenID configuration (`/{tenant}/v2.0/.well-known/openid-configuration`), instance
 * discovery (`/common/discovery/instance`, for completeness: MSAL asks login.microsoftonline.com
 * for it unless `disableInstanceDiscovery` is set) and the v2.0 token route (client credentials
 * with a client secret or a client assertion = the federated token of workload identity).
 */
import { timingSafeEqual } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { PrincipalDirectory } from "./principal-directory.js";
import type { ManagedIdentityPrincipal, ServicePrincipal } from "./principal-types.js";
import { scopeToResource, type TokenIssuer } from "./token-issuer.js";
import type { TokenService } from "./token-service.js";

/** Options of {@link startEntraTokenEndpoint}. */
export interface EntraTokenEndpointOptions {
  key: string;
  cert: string;
  tenantId: string;
  directory: PrincipalDirectory;
  issuer: TokenIssuer;
  service: TokenService;
}

/** A running endpoint. */
export interface EntraTokenEndpoint {
  /** Value for `AZURE_AUTHORITY_HOST`, e.g. `https://localhost:41234`. */
  authorityHost: string;
  close(): Promise<void>;
}

/** The federated subject the emulator binds to an application (like an AKS service account). */
export function federatedSubject(principal: ServicePrincipal | ManagedIdentityPrincipal): string {
  return `system:serviceaccount:default:${principal.name}`;
}

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

function send(res: import("node:http").ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function aadError(
  res: import("node:http").ServerResponse,
  status: number,
  error: string,
  code: number,
  description: string,
): void {
  send(res, status, {
    error,
    error_description: `AADSTS${code}: ${description}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
  });
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Starts the endpoint on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const entra = await startEntraTokenEndpoint({ key, cert, tenantId, directory, issuer, service });
 * process.env.AZURE_AUTHORITY_HOST = entra.authorityHost;
 * ```
 */
export async function startEntraTokenEndpoint(options: EntraTokenEndpointOptions): Promise<EntraTokenEndpoint> {
  let base = "";
  const tenants = (tenant: string) => tenant === options.tenantId || tenant === "organizations" || tenant === "common";

  const handle = async (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const url = new URL(req.url ?? "/", base);
    const segments = url.pathname.split("/").filter(Boolean);
    if (req.method === "GET" && url.pathname === "/common/discovery/instance") {
      const host = new URL(base).host;
      return send(res, 200, {
        tenant_discovery_endpoint: `${base}/${options.tenantId}/v2.0/.well-known/openid-configuration`,
        "api-version": "1.1",
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    const tenant = segments[0] ?? "";
    if (
      req.method === "GET" &&
      segments.length >= 3 &&
      segments.slice(-2).join("/") === ".well-known/openid-configuration"
    ) {
      if (!tenants(tenant)) return aadError(res, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
      const root = `${base}/${options.tenantId}`;
      return send(res, 200, {
        token_endpoint: `${root}/oauth2/v2.0/token`,
        authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${root}/oauth2/v2.0/logout`,
        issuer: `${root}/v2.0`,
        jwks_uri: `${base}/${options.tenantId}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        tenant_region_scope: "EU",
        cloud_instance_name: "microsoftonline.com",
      });
    }
    if (
      req.method === "POST" &&
      segments.length === 4 &&
      segments[1] === "oauth2" &&
      segments[2] === "v2.0" &&
      segments[3] === "token"
    ) {
      if (!tenants(tenant)) return aadError(res, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
      let text = "";
      for await (const chunk of req) text += String(chunk);
      const form = new URLSearchParams(text);
      if (form.get("grant_type") !== "client_credentials") {
        return aadError(
          res,
          400,
          "unsupported_grant_type",
          70003,
          "The emulator supports only the client_credentials grant.",
        );
      }
      const clientId = form.get("client_id") ?? "";
      const principal = options.directory.byClientId(clientId);
      if (!principal) {
        return aadError(
          res,
          400,
          "unauthorized_client",
          700016,
          `Application with identifier '${clientId}' was not found in the directory '${options.tenantId}'.`,
        );
      }
      const secret = form.get("client_secret");
      const assertion = form.get("client_assertion");
      if (assertion !== null) {
        if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE) {
          return aadError(res, 400, "invalid_request", 50027, "Invalid client_assertion_type.");
        }
        const subject = await options.issuer.verifyFederatedToken(assertion);
        if (subject !== federatedSubject(principal)) {
          return aadError(
            res,
            400,
            "invalid_client",
            70021,
            `No matching federated identity record found for presented assertion subject '${subject ?? "(invalid assertion)"}'.`,
          );
        }
      } else if (secret !== null) {
        if (principal.kind !== "servicePrincipal" || !sameSecret(secret, principal.clientSecret)) {
          return aadError(res, 401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
      } else {
        return aadError(
          res,
          400,
          "invalid_client",
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      }
      const scope = (form.get("scope") ?? "").split(" ").find((s) => s.endsWith("/.default"));
      if (!scope)
        return aadError(
          res,
          400,
          "invalid_scope",
          1002012,
          "The provided value for scope is not valid: use '<resource>/.default'.",
        );
      const controller = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      const outcome = await options.service
        .request(principal.name, "tokenEndpoint", scopeToResource(scope), controller.signal)
        .catch(() => undefined);
      if (!outcome) return;
      if (!outcome.ok) {
        if (outcome.status === 429) res.setHeader("retry-after", "1");
        return aadError(res, outcome.status, outcome.error, 90000, outcome.description);
      }
      const expiresIn = Math.max(0, Math.round((outcome.expiresOnTimestamp - Date.now()) / 1000));
      const body: Record<string, unknown> = {
        token_type: "Bearer",
        expires_in: expiresIn,
        ext_expires_in: expiresIn,
        access_token: outcome.token,
      };
      if (outcome.lifetimeSeconds >= 7200) body.refresh_in = Math.floor(outcome.lifetimeSeconds / 2);
      return send(res, 200, body);
    }
    return aadError(
      res,
      404,
      "not_found",
      90019,
      `No route ${req.method ?? "GET"} ${url.pathname} in the emulator's token endpoint.`,
    );
  };

  const server = https.createServer({ key: options.key, cert: options.cert }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) aadError(res, 500, "server_error", 90033, "Internal emulator error.");
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `https://localhost:${port}`;
  return {
    authorityHost: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
