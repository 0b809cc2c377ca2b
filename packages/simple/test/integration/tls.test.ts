/**
 * TLS against aedes behind tls.createServer and mosquitto's TLS listener, with certificates
 * from testkit's generateCerts(): verified connect with a CA, refusal with the wrong CA, and a
 * tls.SecureContext as `ssl`.
 */
import tls from "node:tls";
import { type CertSet, generateCerts, text } from "@umqtt/testkit";
import { beforeAll, expect, test } from "vitest";
import { ConnectionError, ErrorCode, type MQTTClient } from "../../src/index.js";
import { eachBroker, Fixture, receiver, sharedBroker } from "./helpers.js";

let certs: CertSet;
beforeAll(async () => {
  certs = await generateCerts();
});

eachBroker((kind) => {
  const fx = new Fixture();
  // Started on first use, after beforeAll made the certificates.
  const broker = sharedBroker(kind, () => ({ tls: certs }));

  async function target() {
    const b = await broker();
    if (b.tlsPort === undefined) throw new Error("broker has no TLS listener");
    return { host: "127.0.0.1", port: b.tlsPort };
  }

  async function roundTrip(c: MQTTClient) {
    const rx = receiver(c);
    const t = fx.id("tls");
    await c.subscribe(t, 1);
    await c.publish(t, "over tls", false, 1);
    expect(text((await rx.next()).payload)).toBe("over tls");
  }

  test("ssl: true with sslParams { ca, servername } connects and carries QoS 1 both ways", async () => {
    const c = fx.client(await target(), fx.id("tls-ok"), {
      ssl: true,
      sslParams: { ca: certs.caPem, servername: "localhost" },
    });
    expect(await c.connect(true)).toBe(false);
    expect(c.isConnected()).toBe(true);
    await roundTrip(c);
  });

  test("the host name is checked: ssl: true to localhost with the CA connects (SNI from the host)", async () => {
    const { port } = await target();
    const c = fx.client({ host: "localhost", port }, fx.id("tls-host"), {
      ssl: true,
      sslParams: { ca: certs.caPem },
    });
    await c.connect(true);
    await roundTrip(c);
  });

  test("wrong CA: connect rejects with a ConnectionError whose cause carries the TLS error code", async () => {
    const c = fx.client(await target(), fx.id("tls-wrong"), {
      ssl: true,
      sslParams: { ca: certs.wrongCaPem, servername: "localhost" },
    });
    const err = await c.connect(true).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    const cause = (err as Error).cause as { code?: string } | undefined;
    expect(cause?.code).toMatch(/CERT|SIGNATURE|ISSUER/);
    expect(c.isConnected()).toBe(false);
  });

  test("no CA at all: the self-made chain is refused by default (verification is on)", async () => {
    const c = fx.client(await target(), fx.id("tls-noca"), {
      ssl: true,
      sslParams: { servername: "localhost" },
    });
    const err = await c.connect(true).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect(((err as Error).cause as { code?: string }).code).toMatch(/CERT|SIGNATURE|ISSUER/);
  });

  test("a tls.SecureContext as ssl works", async () => {
    const context = tls.createSecureContext({ ca: certs.caPem });
    const c = fx.client(await target(), fx.id("tls-ctx"), { ssl: context });
    await c.connect(true);
    await roundTrip(c);
  });
});
