// The TLS front alone, in front of a stand-in backend that records what reaches it: the backend
// connection is opened while the login is checked (so PostgreSQL's fork overlaps the check), and
// a refused login closes it without sending a byte.
import { EventEmitter, once } from "node:events";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificates, type EmulatorCertificates } from "../src/certificates.js";
import { startTlsFront, type TlsFront } from "../src/tls-front.js";

interface BackendConnection {
  acceptedAt: number;
  bytes: Buffer[];
  closed: boolean;
}

let certificates: EmulatorCertificates;
let backend: net.Server;
const connections: BackendConnection[] = [];
let front: TlsFront;
const checks: Array<{ finishedAt: number }> = [];
const accepted = new EventEmitter();
/** A ceiling for waiting on an event: only a hang reaches it, however busy the machine. */
const CEILING_MS = 60_000;

beforeAll(async () => {
  certificates = await createCertificates();
  backend = net.createServer((socket) => {
    const record: BackendConnection = { acceptedAt: performance.now(), bytes: [], closed: false };
    connections.push(record);
    accepted.emit("connection");
    socket.on("data", (chunk: Buffer) => {
      record.bytes.push(chunk);
      socket.destroy(); // a stand-in: it only records the startup message
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => (record.closed = true));
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  front = await startTlsFront({
    key: certificates.serverKey,
    cert: certificates.serverCert,
    backend: { host: "127.0.0.1", port: (backend.address() as net.AddressInfo).port },
    async authenticate(user, password) {
      // A check that ends only once the backend connection for this login is open: if the front
      // waited for the check before connecting, this would wait out the ceiling and the first test
      // would see the connection accepted after the check finished.
      const mine = checks.length + 1;
      const ceiling = AbortSignal.timeout(CEILING_MS);
      while (connections.length < mine && !ceiling.aborted) {
        await once(accepted, "connection", { signal: ceiling }).catch(() => undefined);
      }
      checks.push({ finishedAt: performance.now() });
      return password === "right"
        ? { ok: true, roleName: user }
        : { ok: false, code: "28P01", message: `password authentication failed for user "${user}"` };
    },
  });
});
afterAll(async () => {
  await front?.close();
  await new Promise<void>((resolve) => backend?.close(() => resolve()));
});

const clientFor = (password: string) =>
  new pg.Client({
    host: "localhost",
    port: front.port,
    user: "alice",
    database: "appdb",
    password,
    ssl: { ca: certificates.caCert, rejectUnauthorized: true },
    connectionTimeoutMillis: CEILING_MS,
  });

async function untilClosed(records: BackendConnection[]): Promise<boolean> {
  const deadline = Date.now() + CEILING_MS;
  while (Date.now() < deadline && records.some((r) => !r.closed)) await sleep(10);
  return records.every((r) => r.closed);
}

describe("TLS front: the backend connection", () => {
  it("is opened while the login is checked, and gets the startup message once the login is accepted", async () => {
    const before = connections.length;
    const client = clientFor("right");
    client.on("error", () => undefined);
    await client.connect().catch(() => undefined); // the stand-in closes after the startup message
    const opened = connections.slice(before);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.acceptedAt).toBeLessThanOrEqual(checks.at(-1)!.finishedAt); // accepted while the check ran
    const startup = Buffer.concat(opened[0]!.bytes).toString("latin1");
    expect(startup).toContain("user\0alice\0");
    expect(startup).toContain("database\0appdb\0");
  });

  it("is closed without a byte sent when the login is refused", async () => {
    const before = connections.length;
    for (let i = 0; i < 5; i++) {
      const client = clientFor("wrong");
      await expect(client.connect()).rejects.toMatchObject({ code: "28P01" });
    }
    const opened = connections.slice(before);
    expect(opened).toHaveLength(5);
    expect(await untilClosed(opened)).toBe(true);
    expect(opened.map((r) => Buffer.concat(r.bytes).length)).toEqual([0, 0, 0, 0, 0]);
  });
});
