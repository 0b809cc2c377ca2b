import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CertSet, generateCerts, withTimeout } from "../src/index.ts";

describe("generateCerts", () => {
  let certs: CertSet;
  let server: tls.Server;
  let port: number;

  beforeAll(async () => {
    certs = await generateCerts();
    server = tls.createServer({ key: certs.serverKeyPem, cert: certs.serverCertPem }, (s) =>
      s.end("hi"),
    );
    server.on("tlsClientError", () => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  function handshake(ca: string, servername = "localhost"): Promise<tls.TLSSocket> {
    return withTimeout(
      new Promise((resolve, reject) => {
        const socket = tls.connect({
          host: "127.0.0.1",
          port,
          ca,
          servername,
          rejectUnauthorized: true,
        });
        socket.once("secureConnect", () => resolve(socket));
        socket.once("error", reject);
      }),
      5000,
      "TLS handshake",
    );
  }

  it("returns absolute paths, PEM text, and world-readable keys", () => {
    for (const f of [
      certs.caFile,
      certs.serverCertFile,
      certs.serverKeyFile,
      certs.clientCertFile,
      certs.clientKeyFile,
      certs.wrongCaFile,
    ]) {
      expect(path.isAbsolute(f)).toBe(true);
      expect(path.dirname(f)).toBe(certs.dir);
    }
    expect(certs.caPem).toBe(readFileSync(certs.caFile, "utf8"));
    expect(certs.serverKeyPem).toMatch(/BEGIN PRIVATE KEY/);
    for (const key of [certs.caKeyFile, certs.serverKeyFile, certs.clientKeyFile]) {
      expect(statSync(key).mode & 0o777).toBe(0o644);
    }
  });

  it("caches per directory", async () => {
    expect(await generateCerts()).toBe(certs);
    expect(await generateCerts(certs.dir)).toBe(certs);
  });

  it("server cert verifies against the CA for localhost and carries the expected names", async () => {
    const socket = await handshake(certs.caPem);
    try {
      expect(socket.authorized).toBe(true);
      const peer = socket.getPeerX509Certificate();
      expect(peer?.subjectAltName).toContain("DNS:localhost");
      expect(peer?.subjectAltName).toContain("IP Address:127.0.0.1");
      expect(peer?.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
    } finally {
      socket.destroy();
    }
  });

  it("client cert is signed by the CA for clientAuth", () => {
    const ca = new X509Certificate(certs.caPem);
    const client = new X509Certificate(certs.clientCertPem);
    expect(client.subject).toContain("CN=umqtt-client");
    expect(client.checkIssued(ca)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.keyUsage).toContain("1.3.6.1.5.5.7.3.2"); // clientAuth
  });

  it("fails verification against the wrong CA", async () => {
    const err = await handshake(certs.wrongCaPem).catch((e: NodeJS.ErrnoException) => e);
    expect(err).toBeInstanceOf(Error);
    expect(["SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]).toContain(
      (err as NodeJS.ErrnoException).code,
    );
  });
});
