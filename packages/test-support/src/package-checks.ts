/**
 * Checks of a built package, without the emulator (`@azure-postgresql-auth/test-support/package-checks`):
 * its export lists through import and require, and that it imports no database driver.
 *
 * @packageDocumentation
 */
export { adapterCoreReexports, apiReportReexports } from "./adapter-core-reexports.js";
export { expectNoDriverImport } from "./expect-no-driver-import.js";
export { loadPackageExports } from "./load-package-exports.js";
