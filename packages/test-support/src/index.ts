/**
 * Test support shared by the workspace packages (private, never published). This entry point loads
 * the emulator (for the conformance suite and the examples' test); unit tests import the light ones,
 * `@azure-postgresql-auth/test-support/fakes` and `…/package-checks`.
 *
 * @packageDocumentation
 */
export {
  type AdapterUnderTest,
  type ConformanceConnection,
  type ConformanceConnectOptions,
  describeAdapterConformance,
} from "./adapter-conformance.js";
export { describeExample, type ExampleRun, type ExampleUnderTest, runExample } from "./describe-example.js";
export { expectNoDriverImport } from "./expect-no-driver-import.js";
export { alice, fakeCredential, fakeJwt, tokenFor } from "./fake-jwt.js";
export { loadPackageExports } from "./load-package-exports.js";
export { seededRandom } from "./seeded-random.js";
export { type PlaintextTrap, startPlaintextTrap } from "./start-plaintext-trap.js";
export {
  describeTlsSetting,
  expectedTlsOutcome,
  sslmodeSettingsFor,
  sslValueFor,
  type TableSslMode,
  type TlsOutcome,
  type TlsSetting,
  type TlsSettingKind,
  tlsSettings,
} from "./tls-settings.js";
export { useEmulatorEnvironment } from "./use-emulator-environment.js";
