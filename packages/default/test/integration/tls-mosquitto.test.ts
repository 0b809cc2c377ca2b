/**
 * The TLS matrix against a real mosquitto: one TLS listener, and one that requires a client
 * certificate. Each failure must be a distinct, clear error: a ConnectionError whose `cause`
 * carries the TLS code, which the message repeats. (mosquitto sends the whole chain, CA
 * included — OpenSSL builds it from its cafile — so an untrusted server certificate shows as
 * SELF_SIGNED_CERT_IN_CHAIN whether the client has the wrong CA or none; the message tells
 * the two apart.)
 */
import { type CertSet, generateCerts, type Mosquitto, startMosquitto, text } from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ConnectionError, MQTTClient } from "../../src/index.js";
import type { SslParams } from "../../src/tls-files.js";
import { expectTlsFailure } from "../tls-failure.js";

describeMosquitto("TLS from files against mosquitto", () => {
  let certs: CertSet;
  let leaf: Mosquitto;
  let mtls: Mosquitto;

  beforeAll(async () => {
    certs = await generateCerts();
    const server = {
      caFile: certs.caFile,
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
    };
    [leaf, mtls] = await Promise.all([
      startMosquitto({ tls: server }),
      startMosquitto({ tls: { ...server, requireCertificate: true } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([leaf, mtls].map((m) => m?.stop()));
  });

  async function attempt(port: number, sslParams: SslParams, host = "localhost"): Promise<unknown> {
    const client = new MQTTClient("tls-mosq", host, {
      port,
      ssl: true,
      sslParams,
      connectTimeout: 5000,
    });
    try {
      await client.connect();
      const got: string[] = [];
      await client.subscribe("tls/echo", ([, msg]) => void got.push(text(msg)), 1);
      await client.publish("tls/echo", "over TLS", false, 1);
      while (got.length === 0) await client.waitMsg();
      expect(got).toEqual(["over TLS"]);
      return "connected";
    } catch (err) {
      if (process.env.UMQTT_SHOW_TLS_ERRORS)
        console.log(JSON.stringify(sslParams), "→", (err as Error).message);
      return err;
    } finally {
      await client.disconnect();
    }
  }

  it("cafile: connects, subscribes with a handler, receives its own message", async () => {
    expect(await attempt(leaf.tlsPort!, { cafile: certs.caFile })).toBe("connected");
    expect(
      await attempt(
        leaf.tlsPort!,
        { cafile: certs.caFile, serverHostname: "localhost" },
        "127.0.0.1",
      ),
    ).toBe("connected");
  });

  it("wrong CA: SELF_SIGNED_CERT_IN_CHAIN", async () => {
    const err = await attempt(leaf.tlsPort!, { cafile: certs.wrongCaFile });
    expectTlsFailure(err, "SELF_SIGNED_CERT_IN_CHAIN");
    expect((err as Error).message).toContain("not signed by the CA you configured");
  });

  it("no CA (verification is on by default): SELF_SIGNED_CERT_IN_CHAIN", async () => {
    const err = await attempt(leaf.tlsPort!, {});
    expectTlsFailure(err, "SELF_SIGNED_CERT_IN_CHAIN");
    expect((err as Error).message).toContain("not signed by a CA Node trusts");
  });

  it("hostname mismatch: ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    expectTlsFailure(
      await attempt(
        leaf.tlsPort!,
        { cafile: certs.caFile, serverHostname: "wrong.example" },
        "127.0.0.1",
      ),
      "ERR_TLS_CERT_ALTNAME_INVALID",
    );
  });

  it("TLS to the plain MQTT port: mosquitto resets the connection during the handshake", async () => {
    const err = await attempt(leaf.port, { cafile: certs.caFile });
    expectTlsFailure(err, "ECONNRESET");
    expect((err as Error).message).toMatch(/^cannot connect: TLS to .* is it a TLS port\?/);
  });

  it("client certificate required: passes with cert and key files, fails without", async () => {
    const files = { cafile: certs.caFile, cert: certs.clientCertFile, key: certs.clientKeyFile };
    expect(await attempt(mtls.tlsPort!, files)).toBe("connected");
    const err = await attempt(mtls.tlsPort!, { cafile: certs.caFile });
    expect(err).toBeInstanceOf(ConnectionError);
    const code = (err as { cause?: { code?: string } }).cause?.code;
    // TLS 1.3: the alert arrives after the client's handshake is done; mosquitto may reset first.
    expect(["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "ECONNRESET"]).toContain(code);
    expect((err as Error).message).toContain(code);
  });

  it('certReqs "none" connects without a CA, only when asked', async () => {
    expectTlsFailure(await attempt(leaf.tlsPort!, {}), "SELF_SIGNED_CERT_IN_CHAIN");
    expect(await attempt(leaf.tlsPort!, { certReqs: "none" })).toBe("connected");
  });
});
