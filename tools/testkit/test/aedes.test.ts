import {
  connect,
  connectAsync,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
} from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AedesBroker, startAedes, withTimeout } from "../src/index.ts";

function nextMessage(
  c: MqttClient,
): Promise<{ topic: string; payload: Buffer; packet: IPublishPacket }> {
  return withTimeout(
    new Promise((resolve) =>
      c.once("message", (topic, payload, packet) => resolve({ topic, payload, packet })),
    ),
    5000,
    "message",
  );
}

function connack(c: MqttClient): Promise<IConnackPacket> {
  return withTimeout(new Promise((resolve) => c.once("connect", resolve)), 5000, "CONNACK");
}

describe("startAedes", () => {
  let broker: AedesBroker;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startAedes({
      authorizeSubscribe: (_id, topic) => !topic.startsWith("forbidden/"),
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await broker.close();
  });

  it("listens on 127.0.0.1 with an mqtt:// url", () => {
    expect(broker.host).toBe("127.0.0.1");
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
  });

  it("round-trips a QoS 1 publish", async () => {
    const c = await connectAsync(broker.url, { clientId: "rt", reconnectPeriod: 0 });
    clients.push(c);
    expect(broker.connections()).toBe(1);
    await c.subscribeAsync("x/#", { qos: 1 });
    const got = nextMessage(c);
    await c.publishAsync("x/y", "hello", { qos: 1 });
    const { topic, payload, packet } = await got;
    expect(topic).toBe("x/y");
    expect(payload.toString()).toBe("hello");
    expect(packet.qos).toBe(1);
  });

  it("grants 128 to a refused subscription and keeps the client connected", async () => {
    const c = await connectAsync(broker.url, { clientId: "refused", reconnectPeriod: 0 });
    clients.push(c);
    // MQTT.js rejects subscribe() on any 0x80, so read the SUBACK off the wire.
    const suback = new Promise<number[]>((resolve) =>
      c.on("packetreceive", (p) => {
        if (p.cmd === "suback") resolve(p.granted as number[]);
      }),
    );
    await expect(c.subscribeAsync(["ok/1", "forbidden/1"], { qos: 1 })).rejects.toThrow();
    expect(await withTimeout(suback, 5000, "SUBACK")).toEqual([1, 128]);
    expect(c.connected).toBe(true);
  });

  it("restart() keeps the port, closes clients and loses persistent sessions", async () => {
    const port = broker.port;
    const opts = { clientId: "persistent", clean: false, reconnectPeriod: 0 } as const;
    const c1 = await connectAsync(broker.url, opts);
    await c1.subscribeAsync("s/#", { qos: 1 });
    await c1.endAsync();
    const c2 = connect(broker.url, opts);
    expect((await connack(c2)).sessionPresent).toBe(true);
    const closed = new Promise<void>((resolve) => c2.once("close", () => resolve()));
    await broker.restart();
    await withTimeout(closed, 5000, "client close on restart");
    await c2.endAsync(true);
    expect(broker.port).toBe(port);

    const c3 = connect(broker.url, opts);
    clients.push(c3);
    // A fresh broker has no session for this client id.
    expect((await connack(c3)).sessionPresent).toBe(false);
  });

  it("close() never hangs with connected clients", async () => {
    const b = await startAedes();
    const c = await connectAsync(b.url, { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
    await withTimeout(b.close(), 5000, "broker close");
    await withTimeout(closed, 5000, "client close");
    await c.endAsync(true);
    expect(b.connections()).toBe(0);
  });
});

describe("startAedes({ webSocket })", () => {
  it("serves MQTT over ws:// at /mqtt and restarts on the same port", async () => {
    const broker = await startAedes({ webSocket: true });
    try {
      expect(broker.url).toBe(`ws://127.0.0.1:${broker.port}/mqtt`);
      const c = await connectAsync(broker.url, { reconnectPeriod: 0 });
      await c.subscribeAsync("ws/t", { qos: 1 });
      const got = nextMessage(c);
      await c.publishAsync("ws/t", "over ws", { qos: 1 });
      expect((await got).payload.toString()).toBe("over ws");
      expect(broker.connections()).toBe(1);
      const port = broker.port;
      await broker.restart();
      expect(broker.connections()).toBe(0);
      expect(broker.port).toBe(port);
      const again = await connectAsync(broker.url, { reconnectPeriod: 0 });
      expect(again.connected).toBe(true);
      await Promise.all([c.endAsync(true), again.endAsync()]);
    } finally {
      await broker.close();
    }
  });
});
