/**
 * TLS from certificate files against aedes behind tls.createServer (testkit's startAedes with
 * `tls`), with throwaway certificates: a CA, a server certificate for localhost / 127.0.0.1,
 * a client certificate, and an unrelated "wrong" CA.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AedesBroker, type CertSet, generateCerts, startAedes } from "@umqtt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, MQTTClient, tlsOptions } from "../src/index.js";
import type { SslParams } from "../src/tls-files.js";
import { expectTlsFailure } from "./tls-failure.js";

let certs: CertSet;
let tlsBroker: AedesBroker; // server certificate only
let chainBroker: AedesBroker; // server certificate + CA (a full chain)
let mtlsBroker: AedesBroker; // requires a client certificate signed by the CA
let plainBroker: AedesBroker;
let dir: string;
let accepted = 0;

beforeAll(async () => {
  certs = await generateCerts();
  dir = mkdtempSync(path.join(tmpdir(), "umqtt-default-tls-"));
  const server = { key: certs.serverKeyPem, cert: certs.serverCertPem };
  tlsBroker = await startAedes({ tls: server });
  tlsBroker.server.on("connection", () => accepted++);
  chainBroker = await startAedes({ tls: { ...server, cert: certs.serverCertPem + certs.caPem } });
  mtlsBroker = await startAedes({ tls: { ...server, ca: certs.caPem, requestCert: true } });
  plainBroker = await startAedes();
});

afterAll(async () => {
  await Promise.all([tlsBroker, chainBroker, mtlsBroker, plainBroker].map((b) => b?.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Connects (and disconnects) over TLS; resolves to "connected" or the error. */
async function attempt(
  broker: AedesBroker,
  sslParams: SslParams,
  host = "localhost",
): Promise<unknown> {
  const client = new MQTTClient("tls-test", host, {
    port: broker.port,
    ssl: true,
    sslParams,
    connectTimeout: 5000,
  });
  try {
    await client.connect();
    expect(client.isConnected()).toBe(true);
    await client.publish("tls/check", "ok", false, 1);
    return "connected";
  } catch (err) {
    return err;
  } finally {
    await client.disconnect();
  }
}

describe("TLS from files (aedes)", () => {
  it("connects with cafile (server certificate verified, hostname from the server name)", async () => {
    expect(await attempt(tlsBroker, { cafile: certs.caFile })).toBe("connected");
  });

  it("connects to an address with serverHostname naming the certificate", async () => {
    expect(
      await attempt(tlsBroker, { cafile: certs.caFile, serverHostname: "localhost" }, "127.0.0.1"),
    ).toBe("connected");
  });

  it("connects with cadata as PEM text", async () => {
    expect(await attempt(tlsBroker, { cadata: certs.caPem })).toBe("connected");
  });

  it("connects with a DER CA file", async () => {
    const der = path.join(dir, "ca.der");
    writeFileSync(der, new X509Certificate(certs.caPem).raw);
    expect(await attempt(tlsBroker, { cafile: der })).toBe("connected");
  });

  it("fails with the wrong CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE", async () => {
    const err = await attempt(tlsBroker, { cafile: certs.wrongCaFile });
    expectTlsFailure(err, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect((err as Error).message).toContain("not signed by the CA you configured");
  });

  it("fails with no CA (verification is on by default): SELF_SIGNED_CERT_IN_CHAIN, or UNABLE_TO_VERIFY_LEAF_SIGNATURE for a leaf-only server", async () => {
    const chain = await attempt(chainBroker, {});
    expectTlsFailure(chain, "SELF_SIGNED_CERT_IN_CHAIN");
    expectTlsFailure(await attempt(tlsBroker, {}), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    // Distinct from "wrong CA": the message says no configured CA was involved.
    expect((chain as Error).message).toContain("not signed by a CA Node trusts");
  });

  it("fails on a hostname mismatch: ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const err = await attempt(
      tlsBroker,
      { cafile: certs.caFile, serverHostname: "wrong.example" },
      "127.0.0.1",
    );
    expectTlsFailure(err, "ERR_TLS_CERT_ALTNAME_INVALID");
    expect((err as Error).message).toContain("wrong.example");
  });

  it("fails against a plain MQTT port: the broker drops the handshake (ECONNRESET)", async () => {
    const err = await attempt(plainBroker, { cafile: certs.caFile });
    expectTlsFailure(err, "ECONNRESET");
    expect((err as Error).message).toContain("is it a TLS port?");
  });

  it("passes a client-certificate listener with cert and key files", async () => {
    const params = { cafile: certs.caFile, cert: certs.clientCertFile, key: certs.clientKeyFile };
    expect(await attempt(mtlsBroker, params)).toBe("connected");
  });

  it("passes it with an encrypted key and its passphrase", async () => {
    const encrypted = createPrivateKey(certs.clientKeyPem).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "secret",
    });
    const keyFile = path.join(dir, "client-encrypted.key");
    writeFileSync(keyFile, encrypted);
    const params = { cafile: certs.caFile, cert: certs.clientCertFile, key: keyFile };
    expect(await attempt(mtlsBroker, { ...params, passphrase: "secret" })).toBe("connected");
    expect(() => tlsOptions({ ...params, passphrase: "wrong" })).toThrow(InvalidArgumentError);
  });

  it("fails a client-certificate listener without them: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", async () => {
    const err = await attempt(mtlsBroker, { cafile: certs.caFile });
    expectTlsFailure(err, "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
    expect((err as Error).message).toMatch(/^connection closed: tlsv13 alert certificate required/);
  });

  it('skips verification only when asked: certReqs "none" (or cert_reqs "none")', async () => {
    expectTlsFailure(await attempt(chainBroker, {}), "SELF_SIGNED_CERT_IN_CHAIN");
    expect(await attempt(chainBroker, { certReqs: "none" })).toBe("connected");
    expect(await attempt(chainBroker, { cert_reqs: "none" })).toBe("connected");
    // MicroPython's ssl.CERT_NONE / ssl.CERT_REQUIRED constants, as UIFlow2 code passes them.
    expect(await attempt(chainBroker, { cert_reqs: 0 })).toBe("connected");
    expectTlsFailure(await attempt(chainBroker, { cert_reqs: 2 }), "SELF_SIGNED_CERT_IN_CHAIN");
    expectTlsFailure(
      await attempt(chainBroker, { certReqs: "required" }),
      "SELF_SIGNED_CERT_IN_CHAIN",
    );
  });

  it("accepts the MicroPython spelling server_hostname", async () => {
    expect(
      await attempt(tlsBroker, { cafile: certs.caFile, server_hostname: "localhost" }, "127.0.0.1"),
    ).toBe("connected");
    expectTlsFailure(
      await attempt(
        tlsBroker,
        { cafile: certs.caFile, server_hostname: "wrong.example" },
        "127.0.0.1",
      ),
      "ERR_TLS_CERT_ALTNAME_INVALID",
    );
  });
});

describe("sslParams checks in the constructor (nothing is attempted)", () => {
  const make = (sslParams: SslParams) =>
    new MQTTClient("id", "localhost", { port: tlsBroker.port, ssl: true, sslParams });

  it("a missing cafile: InvalidArgumentError naming the option and the file, no connection attempted", () => {
    const before = accepted;
    const missing = path.join(dir, "nope", "ca.crt");
    expect(() => make({ cafile: missing })).toThrow(InvalidArgumentError);
    expect(() => make({ cafile: missing })).toThrow(
      `MQTTClient(sslParams.cafile): cannot read ${JSON.stringify(missing)}: ENOENT: no such file or directory`,
    );
    expect(accepted).toBe(before);
  });

  it("missing cert and key files name their option", () => {
    const missing = path.join(dir, "client.crt");
    expect(() => make({ cert: missing, key: certs.clientKeyFile })).toThrow(
      /^MQTTClient\(sslParams\.cert\): cannot read ".*client\.crt": ENOENT/,
    );
    expect(() => make({ cert: certs.clientCertFile, key: missing })).toThrow(
      /^MQTTClient\(sslParams\.key\): cannot read/,
    );
  });

  it("an unreadable file (a directory) is refused too", () => {
    expect(() => make({ cafile: dir })).toThrow(
      /^MQTTClient\(sslParams\.cafile\): cannot read .*: EISDIR/,
    );
  });

  it("a file with no certificate is refused (Node would silently ignore it)", () => {
    const junk = path.join(dir, "junk.crt");
    writeFileSync(junk, "not a certificate\n");
    expect(() => make({ cafile: junk })).toThrow(
      /^MQTTClient\(sslParams\.cafile\): ".*junk\.crt" holds no certificate/,
    );
  });

  it("cadata is PEM text: a path there is refused with a pointer to cafile", () => {
    expect(() => make({ cadata: certs.caFile })).toThrow(
      /^MQTTClient\(sslParams\.cadata\): .*not a path.*use cafile/,
    );
    expect(() => make({ cadata: "garbage" })).toThrow(
      /^MQTTClient\(sslParams\.cadata\): the text holds no certificate/,
    );
  });

  it("cert needs key and key needs cert; a mismatched pair is refused", () => {
    expect(() => make({ cert: certs.clientCertFile })).toThrow(
      /^MQTTClient\(sslParams\.cert\): needs key/,
    );
    expect(() => make({ key: certs.clientKeyFile })).toThrow(
      /^MQTTClient\(sslParams\.key\): needs cert/,
    );
    expect(() => make({ cert: certs.clientCertFile, key: certs.serverKeyFile })).toThrow(
      /^MQTTClient\(sslParams\.cert, sslParams\.key\): not a usable certificate and key pair: .*key values mismatch/,
    );
  });

  it("refuses bad certReqs values and MicroPython keys that mean nothing here", () => {
    expect(() => make({ certReqs: "optional" as never })).toThrow(
      /^MQTTClient\(sslParams\.certReqs\): must be "required" or "none"/,
    );
    expect(() => make({ certReqs: "none", cert_reqs: "required" })).toThrow(/disagree/);
    expect(() => make({ certReqs: "required", rejectUnauthorized: false })).toThrow(
      /contradicts rejectUnauthorized/,
    );
    expect(() => make({ do_handshake: true } as SslParams)).toThrow(
      /^MQTTClient\(sslParams\.do_handshake\): not supported/,
    );
    expect(() => make({ server_side: false } as SslParams)).toThrow(
      /^MQTTClient\(sslParams\.server_side\): not supported/,
    );
  });
});

describe("tlsOptions() mapping", () => {
  it("maps the UIFlow2 keys to Node's and verifies by default", () => {
    const o = tlsOptions({
      cafile: certs.caFile,
      serverHostname: "broker.example",
      minVersion: "TLSv1.3",
    });
    expect(o.servername).toBe("broker.example");
    expect(o.rejectUnauthorized).toBe(true);
    expect(o.minVersion).toBe("TLSv1.3");
    expect(o.ca).toEqual([certs.caPem.trim()]);
    expect(o).not.toHaveProperty("cafile");
    expect(o).not.toHaveProperty("serverHostname");
    expect(tlsOptions({}).rejectUnauthorized).toBe(true);
    expect(tlsOptions({ certReqs: "none" }).rejectUnauthorized).toBe(false);
    expect(tlsOptions({ rejectUnauthorized: false }).rejectUnauthorized).toBe(false);
  });

  it("reads cert and key files into PEM, and keeps PEM text or bytes given directly", () => {
    const o = tlsOptions({ cert: certs.clientCertFile, key: certs.clientKeyFile });
    expect(String(o.cert)).toBe(certs.clientCertPem);
    expect(String(o.key)).toBe(certs.clientKeyPem);
    const direct = tlsOptions({
      cert: certs.clientCertPem,
      key: new TextEncoder().encode(certs.clientKeyPem),
    });
    expect(direct.cert).toBe(certs.clientCertPem);
    expect(String(direct.key)).toBe(certs.clientKeyPem);
  });

  it("merges cafile, cadata and Node's ca", () => {
    const o = tlsOptions({ ca: certs.wrongCaPem, cafile: certs.caFile, cadata: certs.caPem });
    expect(o.ca).toHaveLength(3);
  });

  it("an IP address as serverHostname: no SNI, the certificate is checked against the address", () => {
    const o = tlsOptions({ serverHostname: "127.0.0.1" });
    expect(o.servername).toBe(""); // overrides the SNI the client would send for its server name
    expect(typeof o.checkServerIdentity).toBe("function");
  });
});
