// A server (or a man in the middle) that accepts a connection without TLS and asks for a cleartext
// password must never receive the token. A tiny PostgreSQL-speaking server on loopback plays that
// part: it asks every client for a cleartext password and records what arrives. The real login over
// TLS is covered in pg.integration.test.ts against the emulator (which itself refuses plaintext
// before asking for a password, as Azure does, so it cannot play the attacker).
import net from "node:net";
import { alice, fakeCredential, tokenFor } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entraTokenProvider } from "../../src/index.js";

let server: net.Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  server = net.createServer((socket) => {
    let started = false;
    socket.on("data", (data) => {
      if (!started) {
        started = true;
        if (data.length === 8 && data.readInt32BE(4) === 80877103) {
          socket.write("N"); // SSLRequest: no TLS here
          started = false;
          return;
        }
        const ask = Buffer.alloc(9);
        ask.write("R", 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(ask);
        return;
      }
      if (data[0] === 0x70) received.push(data.subarray(5, data.length - 1).toString("utf8"));
      socket.destroy();
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function connect(config: pg.ClientConfig): Promise<unknown> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "alice@contoso.com", database: "appdb", ...config });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("pg without TLS", () => {
  it("ssl: false: the connection fails with INSECURE_CONNECTION and the server receives nothing", async () => {
    received.length = 0;
    const credential = fakeCredential(() => tokenFor(alice));
    const error = await connect({ ssl: false, password: entraTokenProvider(credential) });
    expect(error).toMatchObject({
      code: "INSECURE_CONNECTION",
      message: expect.stringContaining("rejectUnauthorized: true"),
    });
    expect(received).toEqual([]);
    expect(credential.calls).toHaveLength(0);
  });

  it("PGSSLMODE=disable from the environment counts too, and the message says so", async () => {
    received.length = 0;
    const saved = process.env.PGSSLMODE;
    process.env.PGSSLMODE = "disable";
    try {
      const error = await connect({ password: entraTokenProvider(fakeCredential(() => tokenFor(alice))) });
      expect(error).toMatchObject({
        code: "INSECURE_CONNECTION",
        message: expect.stringContaining("PGSSLMODE=disable"),
      });
      expect(received).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.PGSSLMODE;
      else process.env.PGSSLMODE = saved;
    }
  });

  it("allowInsecureLoopback: true sends the token to a loopback server (a local proxy)", async () => {
    received.length = 0;
    const accessToken = tokenFor(alice);
    await connect({
      ssl: false,
      password: entraTokenProvider(
        fakeCredential(() => accessToken),
        { allowInsecureLoopback: true, cache: false },
      ),
    });
    expect(received).toEqual([accessToken.token]);
  });
});
