/**
 * The Azure-like front door: a PostgreSQL wire-protocol server (pg-gateway) that requires
 * TLS, asks for a cleartext password, checks it like Azure does, then joins the session to
 * the real backend as the role and splices both ways. Cancel requests are forwarded as is.
 */
import net from "node:net";
import { TLSSocket } from "node:tls";
import {
  createStartupMessage,
  PostgresConnection,
  type State,
  type TlsOptions,
  type TlsOptionsCallback,
} from "pg-gateway";
import { type LoginDecision, SSL_REQUIRED_MESSAGE } from "./entra-login.js";
import { ClientMessageRewriter } from "./security-label-rewriter.js";

const CANCEL_REQUEST_CODE = 80877102;
const GSSENC_REQUEST_CODE = 80877104;

/** Options of {@link startTlsFront}. */
export interface TlsFrontOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Server key and certificate (PEM). */
  key: string;
  cert: string;
  /** The backend PostgreSQL (trust auth on loopback). */
  backend: { host: string; port: number };
  /** Decides a login; never receives anything it should log. */
  authenticate(user: string, password: string): LoginDecision | Promise<LoginDecision>;
  /** Called once per login attempt that got a decision. */
  onLogin?(ok: boolean): void;
}

/** A running front. */
export interface TlsFront {
  host: "127.0.0.1";
  port: number;
  close(): Promise<void>;
}

/**
 * pg-gateway 0.2.4 does not handle TLS handshake errors; this subclass does (e.g. a client with
 * the wrong CA). It overrides `upgradeToTls` and uses the internals `socket`, `secureSocket`,
 * `tlsInfo`, `createSocketHandlers` and `removeSocketHandlers` of that exact version:
 * test/pg-gateway-internals.test.ts fails when they change.
 */
class FrontConnection extends PostgresConnection {
  constructor(
    socket: net.Socket,
    private readonly tlsOptions: { key: string; cert: string },
    options: ConstructorParameters<typeof PostgresConnection>[1],
  ) {
    super(socket, options);
  }

  override async upgradeToTls(_options: TlsOptions | TlsOptionsCallback): Promise<void> {
    this.tlsInfo = {};
    const raw = this.socket;
    raw.pause();
    this.removeSocketHandlers(raw);
    const secure = new TLSSocket(raw, { isServer: true, key: this.tlsOptions.key, cert: this.tlsOptions.cert });
    secure.on("error", () => secure.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      secure.once("secure", () => resolve(true));
      secure.once("close", () => resolve(false));
      secure.once("error", () => resolve(false));
    });
    if (!ok) {
      raw.destroy();
      return;
    }
    this.secureSocket = secure;
    this.socket = secure;
    this.createSocketHandlers(secure);
    secure.resume();
    raw.resume();
  }
}

function forwardCancel(packet: Buffer, backend: { host: string; port: number }): void {
  const socket = net.connect(backend.port, backend.host, () => socket.end(packet));
  socket.on("error", () => socket.destroy());
  socket.setTimeout(5000, () => socket.destroy());
}

/**
 * Starts the front on 127.0.0.1.
 *
 * @example
 * ```ts
 * const front = await startTlsFront({ key, cert, backend: { host: "127.0.0.1", port: 5433 }, authenticate: (u, p) => checkLogin(u, p, ctx) });
 * ```
 */
export async function startTlsFront(options: TlsFrontOptions): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setNoDelay(true);

    let backendSocket: net.Socket | undefined;
    let loginStarted = false;

    const rewriter = new ClientMessageRewriter();
    const fail = (
      connection: PostgresConnection,
      code: string,
      message: string,
      extra: { detail?: string; hint?: string } = {},
    ) => {
      connection.sendError({ severity: "FATAL", code, message, ...extra });
      connection.socket.end();
    };

    const handlePassword = async (connection: PostgresConnection, data: Buffer, state: State) => {
      loginStarted = true;
      const params = state.clientInfo?.parameters ?? { user: "" };
      const user = params.user;
      const password = data.subarray(5, data.length - 1).toString("utf8");
      // Connect to PostgreSQL while the login is checked: the postmaster forks the backend as it
      // accepts, so the backend's start overlaps the token check instead of following it. A refused
      // login closes this connection before sending a byte (PostgreSQL logs nothing for that).
      const backend = net.connect(options.backend.port, options.backend.host);
      backend.setNoDelay(true);
      backend.on("error", () => backend.destroy());
      const connected = new Promise<boolean>((resolve) => {
        backend.once("connect", () => resolve(true));
        backend.once("close", () => resolve(false));
      });
      let decision: LoginDecision;
      try {
        decision = await options.authenticate(user, password);
      } catch (error) {
        // The cause goes into DETAIL (it comes from the backend query, never from the password; JWT-like text is cut anyway).
        const cause = (error instanceof Error ? error.message : String(error)).replace(
          /eyJ[\w-]*\.[\w.-]*/g,
          "[token]",
        );
        decision = {
          ok: false,
          code: "XX000",
          message: "internal error in the emulator while checking the login",
          detail: cause,
        };
      }
      if (!decision.ok) {
        backend.destroy();
        options.onLogin?.(false);
        fail(connection, decision.code, decision.message, { detail: decision.detail, hint: decision.hint });
        return;
      }
      if (!(await connected)) {
        options.onLogin?.(false);
        fail(connection, "08006", "the emulator could not reach its PostgreSQL backend");
        return;
      }
      if (connection.socket.destroyed) {
        backend.destroy(); // the client left while its login was checked
        return;
      }
      backendSocket = backend;
      const parameters = { ...params, user: decision.roleName, database: params.database ?? user };
      backend.write(createStartupMessage({ majorVersion: 3, minorVersion: 0, parameters }));
      const client = connection.detach();
      backend.once("data", (chunk: Buffer) =>
        options.onLogin?.(chunk[0] === 0x52 && chunk.length >= 9 && chunk.readInt32BE(5) === 0),
      );
      client.on("error", () => backend.destroy());
      backend.on("error", () => client.destroy());
      client.on("close", () => backend.destroy());
      backend.on("close", () => client.destroy());
      client.on("data", (chunk: Buffer) => {
        const bytes = rewriter.push(chunk);
        if (bytes.length && !backend.write(bytes)) {
          client.pause();
          backend.once("drain", () => client.resume());
        }
      });
      client.on("end", () => backend.end());
      backend.pipe(client);
    };

    const connection: PostgresConnection = new FrontConnection(
      socket,
      { key: options.key, cert: options.cert },
      {
        // pg-gateway needs tls options to answer SSLRequest with 'S'; FrontConnection does the upgrade.
        tls: { key: Buffer.from(options.key), cert: Buffer.from(options.cert) },
        authMode: "cleartextPassword",
        onStartup: () => {
          if (!connection.secureSocket) {
            options.onLogin?.(false);
            fail(connection, "28000", SSL_REQUIRED_MESSAGE, {
              hint: "Connect with TLS, e.g. sslmode=verify-full, or pg's ssl: { ca, rejectUnauthorized: true }.",
            });
            return true;
          }
          return false;
        },
        onMessage: async (bytes, state) => {
          const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          if (!state.hasStarted) {
            if (data.length >= 8) {
              const code = data.readInt32BE(4);
              if (code === CANCEL_REQUEST_CODE) {
                forwardCancel(Buffer.from(data), options.backend);
                connection.socket.end();
                return true;
              }
              if (code === GSSENC_REQUEST_CODE) {
                connection.socket.write("N");
                // pg-gateway marks the connection as started when we handle a message; undo that.
                setImmediate(() => {
                  connection.hasStarted = false;
                });
                return true;
              }
            }
            return false;
          }
          if (backendSocket) {
            // Messages pipelined after the password: pass them on in order.
            backendSocket.write(rewriter.push(Buffer.from(data)));
            return true;
          }
          if (!loginStarted && data[0] === 0x70) {
            await handlePassword(connection, Buffer.from(data), state);
            return true;
          }
          return false;
        },
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    host: "127.0.0.1",
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
