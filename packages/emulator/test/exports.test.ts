import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The package folder: the children resolve "@azure/postgresql-auth-emulator" through the
// package's own `exports` (self-reference), i.e. what users get from dist/ after `pnpm build`.
const packageFolder = fileURLToPath(new URL("..", import.meta.url));

const EXPECTED_EXPORTS = [
  "AZURE_CLI_CLIENT_ID",
  "AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES",
  "DEFAULT_PASSWORD_ROLE_PASSWORD",
  "EMULATOR_DATABASE",
  "EMULATOR_RESOURCE_GROUP",
  "EMULATOR_SUBSCRIPTION_ID",
  "EMULATOR_TENANT_ID",
  "EXPIRED_TOKEN_MESSAGE",
  "EmulatorCredentialError",
  "INVALID_FORMAT_MESSAGE",
  "NOT_YET_VALID_MESSAGE",
  "PUBLIC_CLOUD_RESOURCE",
  "SSL_REQUIRED_MESSAGE",
  "THROTTLE_MAX_CONCURRENT",
  "THROTTLE_MAX_PER_SECOND",
  "anotherPrincipalMessage",
  "invalidAudienceMessage",
  "mfaRequiredMessage",
  "notGroupMemberMessage",
  "scopeToResource",
  "startEmulator",
];

function runNode(args: string[]) {
  const result = spawnSync(process.execPath, args, { cwd: packageFolder, encoding: "utf8", timeout: 150_000 });
  if (result.error) throw result.error;
  return result;
}

describe("package exports", () => {
  it("import() of the package name gives exactly the public runtime exports", () => {
    const result = runNode([
      "--input-type=module",
      "-e",
      'const m = await import("@azure/postgresql-auth-emulator"); console.log(JSON.stringify(Object.keys(m).sort()));',
    ]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([...EXPECTED_EXPORTS].sort());
  });

  // The package is ESM only. Node >= 20.19 (and >= 22.12) can require() ESM without top-level
  // await, so CommonJS callers get the same exports there; older Node refuses with ERR_REQUIRE_ESM.
  it("require() of the package name gives the same exports where Node can require ESM, else ERR_REQUIRE_ESM", () => {
    const requireEsm = (process.features as { require_module?: boolean }).require_module === true;
    const result = runNode([
      "--input-type=commonjs",
      "-e",
      'const m = require("@azure/postgresql-auth-emulator"); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "__esModule" && k !== "module.exports").sort()));',
    ]);
    if (requireEsm) {
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([...EXPECTED_EXPORTS].sort());
    } else {
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/ERR_REQUIRE_ESM|ERR_REQUIRE_ASYNC_MODULE/);
    }
  });
});
