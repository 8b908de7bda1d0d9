/**
 * A throwaway CA and a server certificate (SAN DNS:localhost, IP:127.0.0.1) for the TLS front.
 */
import { generate } from "selfsigned";

/** PEM material made at start. */
export interface EmulatorCertificates {
  /** CA certificate (PEM): trust this one (`PGSSLROOTCERT`, `ssl.ca`). */
  caCert: string;
  /** Server certificate (PEM), signed by the CA. */
  serverCert: string;
  /** Server private key (PEM). */
  serverKey: string;
}

/**
 * Makes a CA and a server certificate valid for `localhost` and `127.0.0.1` (and `extraHosts`).
 *
 * @example
 * ```ts
 * const { caCert, serverCert, serverKey } = await createCertificates();
 * ```
 */
export async function createCertificates(extraHosts: string[] = []): Promise<EmulatorCertificates> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: "commonName", value: "Azure PostgreSQL Auth Emulator CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: "localhost" },
    { type: 7, ip: "127.0.0.1" },
  ];
  for (const host of extraHosts) {
    altNames.push(/^[\d.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host });
  }
  const server = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  return { caCert: ca.cert, serverCert: server.cert, serverKey: server.private };
}
