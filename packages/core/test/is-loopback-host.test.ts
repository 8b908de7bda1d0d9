import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "../src/is-loopback-host.js";

describe("isLoopbackHost", () => {
  it.each([
    "localhost",
    "LOCALHOST",
    "db.localhost",
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1",
    "/var/run/postgresql",
    "/tmp/.s.PGSQL.5432",
  ])("%s is this machine", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    "",
    "10.0.0.5",
    "128.0.0.1",
    "127.0.0.1.example.com",
    "localhost.example.com",
    "mylocalhost",
    "::2",
    "myserver.postgres.database.azure.com",
    "relative/socket",
  ])("%j is not", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it("is false for a value that is not a string", () => {
    expect(isLoopbackHost(undefined as never)).toBe(false);
  });
});
