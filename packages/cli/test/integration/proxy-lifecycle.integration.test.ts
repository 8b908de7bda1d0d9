// The proxy's life as a sidecar and behind a load balancer, with the real bin and real clients:
// wait, shutdown and POST /quitquitquit, --exit-zero-on-sigterm, --min-sigterm-delay (and a
// second signal), --run-connection-test, and refusals that every libpq sslmode short of require
// shows with the proxy's message ('N' to the SSLRequest first).
import { execFile } from "node:child_process";
import net from "node:net";
import { type Emulator, startEmulator } from "@azure/postgresql-auth-emulator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GSSENC_REQUEST_CODE,
  parseErrorFields,
  SSL_REQUEST_CODE,
  splitMessages,
  startupMessage,
} from "../../src/wire-protocol.js";
import { CLI, containsJwt, managedIdentityEnv, spawnCli, startProxyProcess } from "./proxy-process.js";

let emu: Emulator;
const mi = () => emu.principals.managedIdentity;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

function cli(args: string[], env: Record<string, string> = managedIdentityEnv(emu)) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
function psql(port: number, extra: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      "psql",
      [
        `host=127.0.0.1 port=${port} dbname=appdb user=${mi().roleName} ${extra}`,
        "-X",
        "-At",
        "-c",
        "select current_user",
      ],
      { env: { PATH: process.env.PATH ?? "", ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
const clientFor = (port: number) =>
  new pg.Client({ host: "127.0.0.1", port, database: "appdb", user: mi().roleName, ssl: false });
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
function int32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => {
    b.writeUInt32BE(v >>> 0, i * 4);
  });
  return b;
}
/** Sends an encryption request, then (after its answer) a startup; returns the answer byte and the error. */
function encryptionThenStartup(
  port: number,
  code: number,
): Promise<{ answer: string; error?: ReturnType<typeof parseErrorFields> }> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let answer = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(int32(8, code)));
    socket.on("data", (chunk: Buffer) => {
      if (answer === "") {
        answer = String.fromCharCode(chunk[0]!);
        chunk = chunk.subarray(1);
        socket.write(
          startupMessage([
            ["user", mi().roleName],
            ["database", "appdb"],
          ]),
        );
      }
      buffer = Buffer.concat([buffer, chunk]);
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const e = splitMessages(buffer).messages.find((m) => m.type === "E");
      resolve({ answer, ...(e && { error: parseErrorFields(e.body) }) });
    });
  });
}

describe("clients see the proxy's refusal with every sslmode short of require", () => {
  it("--max-connections: psql with sslmode disable, allow and prefer shows 'too many clients'; the wire has 'N' then 53300", async () => {
    const proxy = await startProxyProcess(emu, ["--max-connections", "1", "--max-sigterm-delay", "10"]);
    const first = clientFor(proxy.port);
    await first.connect();
    try {
      for (const mode of ["disable", "allow", "prefer"]) {
        const r = await psql(proxy.port, `sslmode=${mode}`);
        expect([mode, r.code]).toEqual([mode, 2]);
        expect(r.stderr, mode).toMatch(/sorry, too many clients already \(the proxy allows 1\)/);
        expect(r.stderr, mode).not.toMatch(/SSL exchange/);
      }
      for (const code of [SSL_REQUEST_CODE, GSSENC_REQUEST_CODE]) {
        const { answer, error } = await encryptionThenStartup(proxy.port, code);
        expect(answer).toBe("N");
        expect(error).toMatchObject({ severity: "FATAL", code: "53300" });
      }
      expect((await first.query<{ one: number }>("select 1 as one")).rows[0]!.one).toBe(1);
    } finally {
      await first.end();
      await proxy.stop();
    }
  });

  it("a wrong local password and a missing token reach psql with sslmode=prefer", async () => {
    const guarded = await startProxyProcess(
      emu,
      [],
      managedIdentityEnv(emu, { AZURE_POSTGRESQL_AUTH_LOCAL_PASSWORD: "s3cret" }),
    );
    const broken = await startProxyProcess(emu, [], managedIdentityEnv(emu, { IDENTITY_HEADER: "wrong-secret" }));
    try {
      const wrong = await psql(guarded.port, "sslmode=prefer", { PGPASSWORD: "guess" });
      expect(wrong.stderr).toMatch(/password authentication failed for user .* \(the proxy's local password\)/);
      const right = await psql(guarded.port, "sslmode=prefer", { PGPASSWORD: "s3cret" });
      expect(right.stdout.trim()).toBe(mi().roleName);
      const noToken = await psql(broken.port, "sslmode=prefer");
      expect(noToken.stderr).toMatch(/TOKEN_ACQUISITION_FAILED: /);
      expect(noToken.stderr).not.toMatch(/SSL exchange/);
    } finally {
      await guarded.stop();
      await broken.stop();
    }
  });

  it("a client still in its startup when the drain ends gets 57P01 after its 'N'", async () => {
    const proxy = await startProxyProcess(emu, ["--max-sigterm-delay", "0", "--exit-zero-on-sigterm"]);
    const received: Buffer[] = [];
    const socket = net.connect(proxy.port, "127.0.0.1", () => socket.write(int32(8, SSL_REQUEST_CODE)));
    socket.on("data", (c: Buffer) => received.push(c));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("data", () => resolve())); // the 'N'
    proxy.child.kill("SIGTERM");
    await closed;
    const bytes = Buffer.concat(received);
    expect(bytes.subarray(0, 1).toString()).toBe("N");
    const error = splitMessages(bytes.subarray(1)).messages.find((m) => m.type === "E");
    expect(parseErrorFields(error!.body)).toMatchObject({
      code: "57P01",
      message: expect.stringMatching(/shutting down/),
    });
    expect(await proxy.exited).toBe(0); // one connection closed, but --exit-zero-on-sigterm
    expect(
      proxy.logs.find((l) => l.event === "connection_closed"),
      proxy.output(),
    ).toMatchObject({ reason: "drain" });
  });
});

describe("wait and shutdown (Kubernetes Job sidecar)", () => {
  it("wait exits 0 once a proxy started later reports started; 1 after --max when none does", async () => {
    const httpPort = await freePort();
    const waiting = cli(["wait", "--http-port", String(httpPort), "--max", "60"]);
    const proxy = await startProxyProcess(emu, ["--http-port", String(httpPort)]);
    try {
      expect((await waiting).code).toBe(0);
      expect((await fetch(`http://127.0.0.1:${httpPort}/startup`)).status).toBe(200);
    } finally {
      await proxy.stop();
    }
    const none = await cli(["wait", "--http-port", String(httpPort), "--max", "0.3"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/did not report started within 0\.3 s/);
    const usage = await cli(["wait"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--http-port/);
  });

  it("the job's last step runs shutdown: the proxy drains and exits 0 (--exit-zero-on-sigterm even with a connection left open)", async () => {
    const proxy = await startProxyProcess(emu, ["--http-port", "0", "--quitquitquit", "--exit-zero-on-sigterm"]);
    const job = await psql(proxy.port, "sslmode=disable");
    expect(job.stdout.trim()).toBe(mi().roleName);
    const leftOpen = clientFor(proxy.port); // a pool the job forgot to close
    leftOpen.on("error", () => undefined);
    await leftOpen.connect();
    const env = managedIdentityEnv(emu, { AZURE_POSTGRESQL_AUTH_HTTP_PORT: String(proxy.httpPort) }); // from the environment
    const result = await cli(["shutdown"], env);
    expect(result.code).toBe(0);
    expect(await proxy.exited).toBe(0);
    expect(proxy.logs.find((l) => l.event === "shutdown")).toMatchObject({ reason: "quitquitquit" });
    expect(proxy.logs.find((l) => l.event === "stopped")).toMatchObject({ forcedClosed: 1 });
  });

  it("without --exit-zero-on-sigterm the same shutdown exits 5; without --quitquitquit shutdown says how to enable it", async () => {
    const proxy = await startProxyProcess(emu, ["--http-port", "0", "--quitquitquit"]);
    const leftOpen = clientFor(proxy.port);
    leftOpen.on("error", () => undefined);
    await leftOpen.connect();
    expect((await cli(["shutdown", "--http-port", String(proxy.httpPort)])).code).toBe(0);
    expect(await proxy.exited).toBe(5);

    const plain = await startProxyProcess(emu, ["--http-port", "0"]);
    try {
      const refused = await cli(["shutdown", "--http-port", String(plain.httpPort)]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/start the proxy with --quitquitquit/);
      const psqlAfter = await psql(plain.port, "sslmode=disable");
      expect(psqlAfter.stdout.trim()).toBe(mi().roleName); // still serving
    } finally {
      await plain.stop();
    }
  });
});

describe("--min-sigterm-delay", () => {
  it("after SIGTERM the proxy still accepts (readiness 503); a second SIGTERM stops accepting at once", async () => {
    const proxy = await startProxyProcess(emu, [
      "--http-port",
      "0",
      "--min-sigterm-delay",
      "600",
      "--max-sigterm-delay",
      "10",
    ]);
    proxy.child.kill("SIGTERM");
    await proxy.waitForLog((l) => l.event === "shutdown");
    expect((await fetch(`http://127.0.0.1:${proxy.httpPort}/readiness`)).status).toBe(503);
    const during = await psql(proxy.port, "sslmode=disable");
    expect(during.stdout.trim()).toBe(mi().roleName); // a load balancer's late client still gets in
    expect(proxy.logs.some((l) => l.event === "stopped_accepting")).toBe(false);
    // psql has gone; wait until the proxy has seen it go, or the second signal would find the
    // connection still open and close it (exit 5), however briefly the machine lagged.
    await proxy.waitForLog((l) => l.event === "connection_closed");
    proxy.child.kill("SIGTERM");
    await proxy.waitForLog((l) => l.event === "stopped_accepting");
    await expect(clientFor(proxy.port).connect()).rejects.toThrow(/ECONNREFUSED/);
    expect(await proxy.exited).toBe(0);
  });
});

describe("--run-connection-test", () => {
  it("logs in to the server at start, then reports started", async () => {
    const proxy = await startProxyProcess(emu, ["--run-connection-test", "--http-port", "0", "--dbname", "appdb"]);
    try {
      const ok = await proxy.waitForLog((l) => l.event === "connection_test_ok");
      expect(ok).toMatchObject({ server: `${emu.host}:${emu.port}`, role: mi().roleName });
      await proxy.waitForLog((l) => l.event === "started");
      expect((await fetch(`http://127.0.0.1:${proxy.httpPort}/startup`)).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });

  it("a refused login ends the proxy with check's exit code (14) and fix", async () => {
    const proxy = spawnCli(
      [
        "proxy",
        "--host",
        emu.host,
        "--port",
        String(emu.port),
        "--ca",
        emu.caFile,
        "--listen-port",
        "0",
        "--json-logs",
        "--run-connection-test",
        "--username",
        "nobody",
      ],
      managedIdentityEnv(emu),
    );
    expect(await proxy.exited).toBe(14);
    const failed = proxy.logs.find((l) => l.event === "connection_test_failed");
    expect(failed).toMatchObject({ server: `${emu.host}:${emu.port}`, step: "login", sqlstate: "28P01" });
    expect(String(failed?.fix)).toContain(`user=${mi().roleName}`);
    expect(containsJwt(proxy.output())).toBe(false);
  });
});

describe("listening beyond loopback", () => {
  it("warns at start that anyone who reaches the port logs in as the identity, and names the fix", async () => {
    const proxy = await startProxyProcess(emu, ["--listen-address", "0.0.0.0"]);
    try {
      const warning = await proxy.waitForLog((l) => l.event === "listening_beyond_loopback");
      expect(warning.level).toBe("warn");
      expect(String(warning.risk)).toMatch(/anyone who can reach 0\.0\.0\.0:\d+ is logged in/);
      expect(String(warning.fix)).toMatch(/--local-password-file/);
    } finally {
      await proxy.stop();
    }
  });
});
