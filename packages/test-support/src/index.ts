/**
 * Test support shared by the workspace packages (private, never published).
 *
 * @packageDocumentation
 */
export {
  describeAdapterConformance,
  type AdapterUnderTest,
  type ConformanceConnection,
  type ConformanceConnectOptions,
} from "./adapter-conformance.js";
export { describeExample, runExample, type ExampleRun, type ExampleUnderTest } from "./describe-example.js";
export { alice, fakeCredential, fakeJwt, tokenFor } from "./fake-jwt.js";
export { loadPackageExports } from "./load-package-exports.js";
export { useEmulatorEnvironment } from "./use-emulator-environment.js";
