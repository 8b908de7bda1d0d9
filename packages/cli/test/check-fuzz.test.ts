// `check` against a server that answers badly: malformed, truncated and dropped replies during the
// login and to the query, and silence. Every case ends with a failed step and a clear detail (never
// an uncaught exception, never a wait for the whole timeout when the connection is gone). Seeded,
// so a failure reproduces. The server is a stand-in that speaks just enough PostgreSQL over real TLS.
import net from "node:net";
import tls from "node:tls";
import { seededRandom } from "@azure-postgresql-auth/test-support";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, checkConnection } from "../src/index.js";
import { message } from "../src/wire-protocol.js";

/** What the stand-in does once TLS is up and the startup message arrived. */
type Behaviour = (socket: tls.TLSSocket) => void;

let server: net.Server;
let port: number;
let ca: string;
let behaviour: Behaviour = () => undefined;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  const authority = await generate([{ name: "commonName", value: "check fuzz CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca: { key: authority.private, cert: authority.cert },
    // localhost too: for an IP address, the TLS check of upstream-login compares the name "localhost".
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  ca = authority.cert;
  const context = tls.createSecureContext({ key: leaf.private, cert: leaf.cert });
  server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => undefined);
    raw.once("data", () => {
      raw.write("S"); // the SSLRequest: yes
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
      secure.on("error", () => undefined);
      secure.once("data", () => behaviour(secure)); // the startup message
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const fakeJwt = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ upn: "fuzz@contoso.com", exp: 4e9 })).toString("base64url")}.c2ln`;

/**
 * Runs check against the stand-in with a 10-minute step timeout: a case that ends within the
 * test's own ceiling (a minute, generous under load) ended because of the reply, not the timeout.
 */
function check(timeoutMs = 600_000): Promise<CheckResult> {
  return checkConnection({ host: "127.0.0.1", port, ca, password: fakeJwt, user: "fuzz", timeoutMs });
}

const int32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
};
const auth = (kind: number) => message("R", int32(kind));
const ready = message("Z", Buffer.from("I"));
const dataRow = (value: string) => {
  const cell = Buffer.from(value);
  const head = Buffer.alloc(6);
  head.writeUInt16BE(1, 0);
  head.writeInt32BE(cell.length, 2);
  return message("D", Buffer.concat([head, cell]));
};
const queryReply = Buffer.concat([
  message("T", Buffer.from([0, 1, ...Buffer.from("current_user\0"), ...Buffer.alloc(18)])),
  dataRow("fuzz"),
  message("C", Buffer.from("SELECT 1\0")),
  ready,
]);

/** Logs the client in (cleartext password, then the greeting), then hands each query to `onQuery`. */
function loggedIn(onQuery: (socket: tls.TLSSocket) => void): Behaviour {
  return (socket) => {
    socket.write(auth(3));
    socket.once("data", () => {
      socket.write(Buffer.concat([auth(0), message("S", Buffer.from("server_version\x0016\0")), ready]));
      socket.once("data", () => onQuery(socket));
    });
  };
}

function lastStep(result: CheckResult) {
  return result.steps.at(-1)!;
}

describe("check: the query step", { timeout: 60_000 }, () => {
  it("a well-formed reply, even one byte at a time: ok, with current_user", async () => {
    behaviour = loggedIn((socket) => {
      for (const byte of queryReply) socket.write(Buffer.from([byte]));
    });
    const result = await check();
    expect(result).toMatchObject({ ok: true, currentUser: "fuzz" });
  });

  it.each([
    ["an impossible message length", Buffer.concat([Buffer.from("D"), int32(2)])],
    ["a message longer than any answer to this query", Buffer.concat([Buffer.from("D"), int32(0x7fffffff)])],
    ["a data row whose cell runs past its end", message("D", Buffer.from([0, 1, 0, 0, 0, 99, 65]))],
    ["a data row cut inside its column count", message("D", Buffer.from([0]))],
  ])("%s: the query step fails as malformed, at once", async (_name, reply) => {
    behaviour = loggedIn((socket) => socket.write(reply)); // and the connection stays open
    const result = await check();
    expect(result.ok).toBe(false);
    expect(lastStep(result)).toMatchObject({ step: "query", ok: false, detail: expect.stringMatching(/malformed/) });
  });

  it.each([
    ["closed (end) before any reply", (socket: tls.TLSSocket) => socket.end()],
    ["dropped (destroy) before any reply", (socket: tls.TLSSocket) => socket.destroy()],
    ["closed halfway through the reply", (socket: tls.TLSSocket) => socket.end(queryReply.subarray(0, 20))],
    [
      "dropped after a complete row but before ReadyForQuery",
      (socket: tls.TLSSocket) => {
        socket.write(queryReply.subarray(0, queryReply.length - ready.length));
        setImmediate(() => socket.destroy());
      },
    ],
  ])("connection %s: the query step fails, without waiting for the timeout", async (_name, act) => {
    behaviour = loggedIn(act);
    const result = await check();
    expect(lastStep(result)).toMatchObject({
      step: "query",
      ok: false,
      detail: expect.stringMatching(/closed the connection|connection failed/),
      fix: expect.any(String),
    });
  });

  it("silence after a truncated reply: the query step fails at its timeout", async () => {
    behaviour = loggedIn((socket) => socket.write(queryReply.subarray(0, 25)));
    const result = await check(300);
    expect(lastStep(result)).toMatchObject({ step: "query", ok: false, detail: expect.stringMatching(/300 ms/) });
  });

  it("an error reply: the query step fails with the server's SQLSTATE", async () => {
    behaviour = loggedIn((socket) =>
      socket.write(Buffer.concat([message("E", Buffer.from("SERROR\0C42501\0Mpermission denied\0\0")), ready])),
    );
    expect(lastStep(await check())).toMatchObject({ step: "query", ok: false, detail: "42501 permission denied" });
  });
});

describe("check: the login step", { timeout: 60_000 }, () => {
  it.each([
    ["garbage instead of an authentication request", (s: tls.TLSSocket) => s.write(Buffer.from("garbage!garbage!"))],
    ["an authentication request cut short, then closed", (s: tls.TLSSocket) => s.end(auth(3).subarray(0, 6))],
    ["dropped at once", (s: tls.TLSSocket) => s.destroy()],
    ["an impossible message length", (s: tls.TLSSocket) => s.write(Buffer.concat([Buffer.from("R"), int32(1)]))],
    ["an unknown authentication method", (s: tls.TLSSocket) => s.write(auth(99))],
  ])("%s: the login step fails with a detail and a fix", async (_name, act) => {
    behaviour = act;
    const result = await check();
    expect(result.ok).toBe(false);
    expect(lastStep(result)).toMatchObject({ step: "login", ok: false, detail: expect.any(String) });
    expect(lastStep(result).fix).toBeTruthy();
  });
});

describe("check fuzz", { timeout: 120_000 }, () => {
  it("300 random replies to the login or the query, each ended by a close or a drop: every run ends in a result", async () => {
    const random = seededRandom(0xc0ffee);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const outcomes = { ok: 0, login: 0, query: 0 };
    for (let i = 0; i < 300; i++) {
      const kind = i % 4;
      const cut = Math.floor(random() * queryReply.length);
      const reply =
        kind === 0
          ? bytes(Math.floor(random() * 64)) // garbage
          : kind === 1
            ? Buffer.concat([queryReply.subarray(0, cut), bytes(Math.floor(random() * 16))]) // a good start, then garbage
            : kind === 2
              ? Buffer.concat([Buffer.from([random() < 0.5 ? 0x44 : 0x45]), int32(Math.floor(random() * 2 ** 32))])
              : queryReply.subarray(0, cut); // truncated
      const drop = random() < 0.5;
      const close = (socket: tls.TLSSocket) => {
        if (drop) {
          socket.write(reply);
          setImmediate(() => socket.destroy());
        } else socket.end(reply);
      };
      const duringLogin = random() < 0.3;
      behaviour = duringLogin ? close : loggedIn(close);
      const result = await check();
      const last = lastStep(result);
      if (result.ok) outcomes.ok += 1;
      else {
        expect(last.ok).toBe(false);
        expect(last.detail).not.toBe("");
        outcomes[last.step === "login" ? "login" : "query"] += 1;
        expect(["login", "query"]).toContain(last.step);
      }
    }
    expect(outcomes.login).toBeGreaterThan(30);
    expect(outcomes.query).toBeGreaterThan(100);
  });
});
