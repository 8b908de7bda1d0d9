/**
 * Plumbing that this repository's own packages share with the core
 * (`@azure/postgresql-auth-core/internal`): the loopback test, token redaction, token claims, the
 * role name rules alone and the logger. Not part of the public API: it may change in any release
 * without notice. Applications use the main entry point (`createEntraLogin`, the errors, the types).
 *
 * @internal
 * @packageDocumentation
 */

export { decodeTokenClaims, type EntraTokenClaims } from "./decode-token-claims.js";
export { isLoopbackHost } from "./is-loopback-host.js";
export { logger } from "./logger.js";
export { redactTokens } from "./redact-tokens.js";
export { type ResolvedRoleName, type RoleNameOptions, resolveRoleName } from "./resolve-role-name.js";
