/**
 * Fake tokens and credentials for unit tests, without the emulator: importing this entry point
 * (`@azure-postgresql-auth/test-support/fakes`) costs a unit test file nothing, while the main
 * entry loads the emulator and its database driver.
 *
 * @packageDocumentation
 */
export { alice, fakeCredential, fakeJwt, tokenFor } from "./fake-jwt.js";
