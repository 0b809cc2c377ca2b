import { connect, connectAsync, type IConnackPacket, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  type CertSet,
  generateCerts,
  type Mosquitto,
  startMosquitto,
  withTimeout,
} from "../src/index.ts";
import { describeMosquitto } from "../src/vitest.ts";

function nextMessage(c: MqttClient, what = "message"): Promise<{ topic: string; payload: string }> {
  return withTimeout(
    new Promise((resolve) =>
      c.once("message", (topic, payload) => resolve({ topic, payload: payload.toString() })),
    ),
    5000,
    what,
  );
}

function connack(c: MqttClient): Promise<IConnackPacket> {
  return withTimeout(new Promise((resolve) => c.once("connect", resolve)), 5000, "CONNACK");
}

describeMosquitto("startMosquitto", () => {
  let m: Mosquitto;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    m = await startMosquitto({ persistence: true });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("runs on a free 127.0.0.1 port and logs that it is running", () => {
    expect(m.url).toBe(`mqtt://127.0.0.1:${m.port}`);
    expect(m.pid).toBeGreaterThan(0);
    expect(m.logs()).toMatch(/running/);
  });

  it("round-trips a QoS 1 publish with MQTT.js", async () => {
    const c = await connectAsync(m.url, { clientId: "rt", reconnectPeriod: 0 });
    clients.push(c);
    await c.subscribeAsync("x/#", { qos: 1 });
    const got = nextMessage(c);
    await c.publishAsync("x/y", "hello", { qos: 1 });
    expect(await got).toEqual({ topic: "x/y", payload: "hello" });
  });

  it("keeps a queued QoS 1 message for an offline persistent session across a SIGTERM restart", async () => {
    const opts = { clientId: "offline-sub", clean: false, reconnectPeriod: 0 } as const;
    const sub = await connectAsync(m.url, opts);
    await sub.subscribeAsync("q/#", { qos: 1 });
    await sub.endAsync();

    const pub = await connectAsync(m.url, { clientId: "offline-pub", reconnectPeriod: 0 });
    await pub.publishAsync("q/1", "queued", { qos: 1 });
    await pub.endAsync();

    const pid = m.pid;
    await m.restart({ signal: "SIGTERM" });
    expect(m.pid).not.toBe(pid);

    const again = connect(m.url, opts);
    clients.push(again);
    const got = nextMessage(again, "queued message after restart");
    expect((await connack(again)).sessionPresent).toBe(true);
    expect(await got).toEqual({ topic: "q/1", payload: "queued" });
  });

  it("kill() crashes it and restart() brings it back on the same port", async () => {
    const port = m.port;
    const c = await connectAsync(m.url, { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
    await m.kill();
    await withTimeout(closed, 5000, "client close after SIGKILL");
    await c.endAsync(true);
    await m.restart();
    expect(m.port).toBe(port);
    const c2 = await connectAsync(m.url, { reconnectPeriod: 0 });
    clients.push(c2);
    expect(c2.connected).toBe(true);
  });
});

describeMosquitto("startMosquitto with TLS", () => {
  let certs: CertSet;
  let m: Mosquitto;
  let strict: Mosquitto;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    certs = await generateCerts();
    const tls = {
      caFile: certs.caFile,
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
    };
    [m, strict] = await Promise.all([
      startMosquitto({ tls }),
      startMosquitto({ tls: { ...tls, requireCertificate: true } }),
    ]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await Promise.all([m?.stop(), strict?.stop()]);
  });

  const tlsOpts = () => ({
    ca: certs.caPem,
    rejectUnauthorized: true,
    servername: "localhost",
    reconnectPeriod: 0,
  });

  it("accepts mqtts:// verified against the test CA, next to the plain listener", async () => {
    expect(m.tlsPort).toBeGreaterThan(0);
    const c = await connectAsync(`mqtts://127.0.0.1:${m.tlsPort}`, tlsOpts());
    clients.push(c);
    await c.subscribeAsync("t", { qos: 1 });
    const got = nextMessage(c);
    const plain = await connectAsync(m.url, { reconnectPeriod: 0 });
    clients.push(plain);
    await plain.publishAsync("t", "over tls", { qos: 1 });
    expect(await got).toEqual({ topic: "t", payload: "over tls" });
  });

  it("fails verification against the wrong CA", async () => {
    await expect(
      connectAsync(`mqtts://127.0.0.1:${m.tlsPort}`, { ...tlsOpts(), ca: certs.wrongCaPem }, false),
    ).rejects.toMatchObject({ code: "SELF_SIGNED_CERT_IN_CHAIN" });
  });

  it("require_certificate rejects a client without a certificate and accepts one with it", async () => {
    await expect(
      withTimeout(
        connectAsync(`mqtts://127.0.0.1:${strict.tlsPort}`, tlsOpts(), false),
        5000,
        "refusal",
      ),
    ).rejects.toThrow();
    const c = await connectAsync(`mqtts://127.0.0.1:${strict.tlsPort}`, {
      ...tlsOpts(),
      cert: certs.clientCertPem,
      key: certs.clientKeyPem,
    });
    clients.push(c);
    expect(c.connected).toBe(true);
  });
});

describeMosquitto("startMosquitto with saveOnChange", () => {
  let m: Mosquitto;
  afterAll(async () => {
    await m?.stop();
  });

  it("keeps a queued message across a SIGKILL restart", async () => {
    m = await startMosquitto({ persistence: true, saveOnChange: true });
    const opts = { clientId: "crash-sub", clean: false, reconnectPeriod: 0 } as const;
    const sub = await connectAsync(m.url, opts);
    await sub.subscribeAsync("c/#", { qos: 1 });
    await sub.endAsync();
    const pub = await connectAsync(m.url, { reconnectPeriod: 0 });
    await pub.publishAsync("c/1", "survives", { qos: 1 });
    await pub.endAsync();

    await m.restart({ signal: "SIGKILL" });
    const again = connect(m.url, opts);
    const got = nextMessage(again, "queued message after crash");
    try {
      expect((await connack(again)).sessionPresent).toBe(true);
      expect(await got).toEqual({ topic: "c/1", payload: "survives" });
    } finally {
      await again.endAsync(true);
    }
  });
});
