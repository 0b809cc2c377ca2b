import net from "node:net";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AedesBroker,
  deferred,
  type FaultProxy,
  startAedes,
  startFaultProxy,
  type TapRecord,
  text,
  withTimeout,
} from "../src/index.ts";

// CONNECT, MQTT 3.1.1, clean session, keepalive 60, client id "bh".
// biome-ignore format: annotated bytes
const CONNECT_BH = Buffer.from([
  0x10, 14, // CONNECT, remaining length 14
  0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, // "MQTT"
  0x04, // protocol level 4
  0x02, // flags: clean session
  0x00, 0x3c, // keepalive 60 s
  0x00, 0x02, 0x62, 0x68, // client id "bh"
]);
const PINGREQ = Buffer.from([0xc0, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);

/** A raw TCP client that collects every byte it receives. */
async function rawClient(port: number): Promise<{
  socket: net.Socket;
  received: () => Buffer;
  waitBytes: (b: Buffer) => Promise<void>;
}> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  let buf = Buffer.alloc(0);
  const waiters: { bytes: Buffer; resolve: () => void }[] = [];
  socket.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (const w of waiters.splice(0)) {
      if (buf.includes(w.bytes)) w.resolve();
      else waiters.push(w);
    }
  });
  await withTimeout(new Promise((r) => socket.once("connect", r)), 5000, "raw connect");
  return {
    socket,
    received: () => buf,
    waitBytes: (bytes) =>
      withTimeout(
        new Promise<void>((resolve) => {
          if (buf.includes(bytes)) resolve();
          else waiters.push({ bytes, resolve });
        }),
        5000,
        `bytes ${bytes.toString("hex")}`,
      ),
  };
}

describe("startFaultProxy", () => {
  let broker: AedesBroker;
  let proxy: FaultProxy;
  const clients: MqttClient[] = [];
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    broker = await startAedes();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    for (const s of sockets.splice(0)) s.destroy();
    await proxy?.close();
  });
  afterAll(async () => {
    await broker.close();
  });

  async function freshProxy(): Promise<FaultProxy> {
    proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port } });
    return proxy;
  }

  async function client(id: string, opts: Record<string, unknown> = {}): Promise<MqttClient> {
    const c = await connectAsync(proxy.url, { clientId: id, reconnectPeriod: 0, ...opts });
    clients.push(c);
    return c;
  }

  it("forwards a QoS 1 round trip and taps both directions", async () => {
    await freshProxy();
    expect(proxy.url).toBe(`mqtt://127.0.0.1:${proxy.port}`);
    const c = await client("tap-client", { keepalive: 30 });
    expect(proxy.connections()).toBe(1);
    await c.subscribeAsync("tap/#", { qos: 1 });
    const got = new Promise<string>((resolve) =>
      c.once("message", (_t, p) => resolve(p.toString())),
    );
    await c.publishAsync("tap/a", "payload-1", { qos: 1 });
    expect(await withTimeout(got, 5000, "message")).toBe("payload-1");

    const connect = proxy.tap.find((r) => r.packet.type === "connect");
    expect(connect?.conn).toBe(1);
    expect(connect?.packet).toMatchObject({
      type: "connect",
      clientId: "tap-client",
      cleanSession: true,
      keepalive: 30,
    });
    const sub = proxy.tap.find((r) => r.packet.type === "subscribe")?.packet;
    expect(sub).toMatchObject({
      type: "subscribe",
      subscriptions: [{ topicFilter: "tap/#", qos: 1 }],
    });
    const up = proxy.tap.find((r) => r.packet.type === "publish");
    expect(up).toBeDefined();
    if (up?.packet.type !== "publish") throw new Error("no publish tapped");
    expect(text(up.packet.topic)).toBe("tap/a");
    expect(text(up.packet.payload)).toBe("payload-1");
    expect(up.packet.qos).toBe(1);
    expect(up.packet.retain).toBe(false);
    expect(up.dropped).toBe(false);

    // The broker's copy to the subscriber, and the PUBACK for the client's publish.
    const down = await proxy.waitForPacket((r) => r.dir === "down" && r.packet.type === "publish");
    expect(proxy.brokerTap).toContain(down);
    expect(proxy.brokerTap[0]?.packet.type).toBe("connack");
    await proxy.waitForPacket((r) => r.dir === "down" && r.packet.type === "puback");
    expect(up.at).toBeLessThanOrEqual(down.at);
  });

  it("onPacket sees packets as they pass and unsubscribes", async () => {
    await freshProxy();
    const seen: [TapRecord, string][] = [];
    const off = proxy.onPacket((rec, dir) => seen.push([rec, dir]));
    await client("on-packet");
    expect(seen.map(([r, d]) => `${d}:${r.packet.type}`)).toEqual(["up:connect", "down:connack"]);
    off();
    await client("on-packet-2");
    expect(seen).toHaveLength(2);
  });

  it("dropAll() cuts every connection and the client sees close", async () => {
    await freshProxy();
    const c = await client("dropped");
    const closed = deferred();
    c.once("close", () => closed.resolve());
    proxy.dropAll();
    await withTimeout(closed.promise, 5000, "MQTT.js close after dropAll");
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (proxy.connections() === 0 ? resolve() : setImmediate(check));
        check();
      }),
      5000,
      "proxy connections to reach 0",
    );
  });

  it("blackhole() swallows bytes both ways; flow resumes when it is off", async () => {
    await freshProxy();
    const raw = await rawClient(proxy.port);
    sockets.push(raw.socket);
    raw.socket.write(CONNECT_BH);
    await raw.waitBytes(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK accepted

    proxy.blackhole(true);
    raw.socket.write(PINGREQ);
    const ping = await proxy.waitForPacket((r) => r.packet.type === "pingreq");
    expect(ping.dropped).toBe(true);
    // A new connection while blackholed is accepted but gets no CONNACK either.
    const late = await rawClient(proxy.port);
    sockets.push(late.socket);
    late.socket.write(CONNECT_BH);
    await proxy.waitForPacket((r) => r.conn === 2 && r.packet.type === "connect");
    // Negative check: give a PINGRESP time to arrive over loopback (aedes answers in < 1 ms).
    await new Promise((r) => setTimeout(r, 100));
    expect(raw.received().includes(PINGRESP)).toBe(false);
    expect(late.received().length).toBe(0);
    expect(raw.socket.destroyed).toBe(false);

    proxy.blackhole(false);
    raw.socket.write(PINGREQ);
    await raw.waitBytes(PINGRESP);
    const c = await client("after-blackhole");
    expect(c.connected).toBe(true);
  });

  it("refuse() resets new connections until it is turned off", async () => {
    await freshProxy();
    proxy.refuse(true);
    await expect(
      withTimeout(connectAsync(proxy.url, { reconnectPeriod: 0 }, false), 5000, "refused connect"),
    ).rejects.toThrow();
    expect(proxy.connections()).toBe(0);
    proxy.refuse(false);
    const c = await client("after-refuse");
    expect(c.connected).toBe(true);
  });

  it("setDelay() adds latency each way and keeps order", async () => {
    await freshProxy();
    const c = await client("delayed");
    await c.subscribeAsync("d/#", { qos: 1 });
    const received: string[] = [];
    const all = deferred();
    c.on("message", (_t, p) => {
      received.push(p.toString());
      if (received.length === 21) all.resolve();
    });
    const delay = 60;
    proxy.setDelay(delay);
    const started = performance.now();
    await c.publishAsync("d/x", "x", { qos: 1 });
    // PUBLISH up and PUBACK down are each delayed.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * delay - 2);

    for (let i = 0; i < 20; i++) c.publish("d/seq", String(i), { qos: 0 });
    await withTimeout(all.promise, 5000, "20 delayed messages");
    expect(received).toEqual(["x", ...Array.from({ length: 20 }, (_, i) => String(i))]);
    proxy.setDelay(0);
  });

  it("keeps forwarding bytes the codec cannot decode", async () => {
    // An echo server as target: whatever goes up must come back down unchanged.
    const echo = net.createServer((s) => {
      s.on("error", () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const address = echo.address();
    const port = typeof address === "object" && address ? address.port : 0;
    proxy = await startFaultProxy({ target: { host: "127.0.0.1", port } });
    try {
      const raw = await rawClient(proxy.port);
      sockets.push(raw.socket);
      const garbage = Buffer.from([0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff]); // reserved type 0
      raw.socket.write(garbage);
      await raw.waitBytes(garbage);
      expect(proxy.tap).toHaveLength(0);
    } finally {
      await proxy.close();
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });
});

describe("cutMidPacket()", () => {
  it("forwards the first half of the chunk's last packet, then a FIN, and resets the sender", async () => {
    const arrived = deferred<Buffer>();
    const server = net.createServer((socket) => {
      let got = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
      });
      socket.on("end", () => arrived.resolve(got));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    const cut = await startFaultProxy({ target: { host: "127.0.0.1", port } });
    try {
      const raw = await rawClient(cut.port);
      const closed = new Promise((r) => raw.socket.once("close", r));
      cut.cutMidPacket("up");
      raw.socket.write(Buffer.concat([PINGREQ, CONNECT_BH]));
      // PINGREQ whole, then 8 of CONNECT's 16 bytes: the broker holds a partial packet.
      expect(await withTimeout(arrived.promise, 5000, "the FIN")).toEqual(
        Buffer.concat([PINGREQ, CONNECT_BH.subarray(0, 8)]),
      );
      await withTimeout(closed, 5000, "the sender reset");
      // The tap still saw both packets.
      expect(cut.tap.map((r) => r.packet.type)).toEqual(["pingreq", "connect"]);
    } finally {
      await cut.close();
      await new Promise((r) => server.close(r));
    }
  });
});
