/**
 * MQTT 5 sessions across a robust reconnect, against a real mosquitto 2.0.11: the client
 * reconnects with the same connect properties, so a Session Expiry Interval of 60 keeps the
 * session (and the QoS 1 messages queued while it was away); with no Session Expiry Interval
 * (0: the session ends with the connection) the reconnect finds no session and robust renews
 * the subscription itself. The link is cut by a fault proxy whose tap decodes MQTT 5.
 * A server DISCONNECT: 0x98 (Administrative action, from mosquitto's dynamic security
 * `disableClient`) is retried; the CONNACK 0x87 of the disabled client stops robust.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  dynsecConfig,
  type FaultProxy,
  type Mosquitto,
  startFaultProxy,
  startMosquitto,
  type TapPacket,
  withTimeout,
} from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { connectAsync } from "mqtt";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { MQTTException, ServerDisconnectError } from "../../src/index.js";
import { clientPool, collect, FAST, Recorder } from "./helpers.js";

describeMosquitto("MQTT 5 session expiry across a robust reconnect (mosquitto)", () => {
  let broker: Mosquitto;
  let proxy: FaultProxy<TapPacket<5>>;
  const own = clientPool();
  const run = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  afterEach(async () => {
    await proxy?.close();
  });

  /** Connects, subscribes, cuts the link, publishes `n` QoS 1 messages while it is down. */
  async function away(id: string, sessionExpiryInterval: number | undefined, n: number) {
    proxy = await startFaultProxy({
      target: { host: broker.host, port: broker.port },
      protocolVersion: 5,
    });
    const properties = sessionExpiryInterval === undefined ? {} : { sessionExpiryInterval };
    const sub = own(
      new Recorder(id, proxy.host, {
        ...FAST,
        port: proxy.port,
        protocolVersion: 5,
        properties,
      }),
    );
    const topic = `${id}/t`;
    expect(await sub.connect(false)).toBe(false);
    expect(await sub.subscribe(topic, 1)).toBe(1);
    const got = collect(sub);

    proxy.refuse(true);
    proxy.dropAll();
    await sub.nextLog((rec) => rec.inReconnect);
    const pub = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    for (let i = 0; i < n; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
    await pub.endAsync();
    proxy.refuse(false);
    return { sub, got, topic };
  }

  it("sessionExpiryInterval 60: the reconnect finds the session and the queued QoS 1 messages arrive", async () => {
    const { sub, got } = await away(`se60-${run}`, 60, 10);
    await got.until(10, 10_000);
    expect([...got.distinct].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(sub.sessions).toEqual([false, true]);
    const connects = proxy.tap.filter((r) => r.packet.type === "connect");
    expect(connects.length).toBeGreaterThanOrEqual(2);
    for (const r of connects) {
      if (r.packet.type !== "connect") throw new Error("unreachable");
      expect(r.packet.cleanSession).toBe(false);
      expect(r.packet.properties?.sessionExpiryInterval).toBe(60);
    }
    // The session kept the subscription: robust had nothing to renew.
    expect(proxy.tap.filter((r) => r.packet.type === "subscribe")).toHaveLength(1);
    expect(sub.connackProperties).toBeDefined();
  });

  it("no session expiry: the session ends with the connection, so the reconnect starts a new one and renews the subscription", async () => {
    const { sub, got, topic } = await away(`se0-${run}`, undefined, 3);
    // Up again (a new session): what was published while down is gone; a new message arrives.
    await proxy.waitForPacket(
      (r) => r.conn > 1 && r.dir === "down" && r.packet.type === "suback",
      10_000,
    );
    const pub = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await pub.publishAsync(topic, "100", { qos: 1 });
    await pub.endAsync();
    await got.until(1, 10_000);
    expect(got.received).toEqual([100]);
    expect(sub.sessions).toEqual([false, false]);
  });
});

describeMosquitto("MQTT 5 server DISCONNECT and robust (mosquitto, dynamic security)", () => {
  const own = clientPool();
  let dir: string;
  let broker: Mosquitto;
  let proxy: FaultProxy<TapPacket<5>>;
  let sec: ReturnType<typeof dynsecConfig>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "umqtt-dynsec-"));
    sec = dynsecConfig({ dir });
    broker = await startMosquitto({ extraConfig: sec.extraConfig });
    proxy = await startFaultProxy({
      target: { host: broker.host, port: broker.port },
      protocolVersion: 5,
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("DISCONNECT 0x98 (Administrative action) is retried; the refused CONNACK 0x87 that follows is not", async () => {
    const c = own(
      new Recorder(`kicked-${Date.now()}`, proxy.host, {
        ...FAST,
        port: proxy.port,
        protocolVersion: 5,
        user: sec.user.username,
        password: sec.user.password,
      }),
    );
    await c.connect(true);
    const admin = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      username: sec.admin.username,
      password: sec.admin.password,
    });
    await admin.publishAsync(
      "$CONTROL/dynamic-security/v1",
      JSON.stringify({ commands: [{ command: "disableClient", username: sec.user.username }] }),
    );
    await admin.endAsync();
    const kicked = await c.nextLog((r) => r.err instanceof ServerDisconnectError);
    expect(kicked.err).toMatchObject({ code: "ERR_SERVER_DISCONNECT", reasonCode: 0x98 });
    await proxy.waitForPacket((r) => r.conn === 2 && r.packet.type === "connack");
    const waiting = c
      .messages()
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const given = await withTimeout(waiting, 5000, "messages() after the refusal");
    // Not curable: robust stops, and the pending wait says why.
    expect(given).toBeInstanceOf(MQTTException);
    expect(given).toMatchObject({ code: 0x87 });
    const connacks = proxy.brokerTap
      .map((r) => r.packet)
      .filter((p) => p.type === "connack")
      .map((p) => (p.type === "connack" ? p.reasonCode : -1));
    expect(connacks).toEqual([0, 0x87]);
    // No further attempt: longer than FAST's largest backoff delay.
    await new Promise((r) => setTimeout(r, 3 * (FAST.maxReconnectDelay ?? 200)));
    expect(proxy.tap.filter((r) => r.packet.type === "connect")).toHaveLength(2);
    expect(c.isConnected()).toBe(false);
  });
});
