import net from "node:net";

/**
 * A PostgreSQL-speaking server on loopback without TLS that asks every client for a cleartext
 * password and records what arrives: the stand-in for a misconfigured server or a man in the
 * middle. A driver that would send the token without TLS sends it here, so `passwords` must stay
 * empty whenever a connection is refused. (The emulator cannot play this part: like Azure, it
 * refuses a connection without TLS before it asks for a password.)
 */
export interface PlaintextTrap {
  host: string;
  port: number;
  /** Every password received, in order. */
  readonly passwords: string[];
  close(): Promise<void>;
}

/** Starts a {@link PlaintextTrap} on 127.0.0.1. */
export async function startPlaintextTrap(): Promise<PlaintextTrap> {
  const passwords: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= (started ? 5 : 4)) {
        const length = started ? buffer.readUInt32BE(1) + 1 : buffer.readUInt32BE(0);
        if (length < 4 || length > 100_000) return void socket.destroy();
        if (buffer.length < length) return;
        const packet = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (!started && length === 8 && [80877103, 80877104].includes(packet.readUInt32BE(4))) {
          socket.write("N"); // SSLRequest or GSSENCRequest: no encryption here
        } else if (!started) {
          started = true;
          socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
        } else if (packet[0] === 0x70) {
          passwords.push(packet.subarray(5, packet.length - 1).toString("utf8"));
          const text = Buffer.from("SFATAL\0C28P01\0Mthe plaintext trap refuses every login\0\0");
          const header = Buffer.alloc(5);
          header.write("E");
          header.writeUInt32BE(text.length + 4, 1);
          socket.end(Buffer.concat([header, text]));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.address() as net.AddressInfo).port,
    passwords,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
