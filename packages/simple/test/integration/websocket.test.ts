/**
 * MQTT over WebSocket against aedes: aedes's own WebSocket server (ws:// and wss://, the `ws`
 * package) with an MQTT.js peer, and testkit's frame-shaping bridge in front of aedes's TCP
 * port for framing: a packet split across frames, several packets in one frame, a text frame.
 * The flood runs aedes and the publisher in child processes, so the heap measured is ours.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import {
  type AedesBroker,
  type CertSet,
  type FrameBridge,
  generateCerts,
  heapInUse,
  startAedes,
  startFrameBridge,
  withTimeout,
} from "@umqtt/testkit";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import { ErrorCode, MQTTClient, type MQTTClientOptions } from "../../src/index.js";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
let seq = 0;
const id = (name: string): string => `ws-${name}-${process.pid}-${seq++}`;

const clients: MQTTClient[] = [];
const peers: MqttClient[] = [];
function client(server: string, options: MQTTClientOptions = {}, name = "c"): MQTTClient {
  const c = new MQTTClient(id(name), server, { webSocket: WebSocket, ...options });
  clients.push(c);
  return c;
}
async function peer(url: string, options = {}): Promise<MqttClient> {
  const p = await connectAsync(url, { reconnectPeriod: 0, clientId: id("peer"), ...options });
  peers.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => {})));
  await Promise.all(peers.splice(0).map((p) => p.endAsync(true)));
});

/** The next message via waitMsg(), as text. */
async function next(c: MQTTClient): Promise<{ topic: string; payload: string; qos: number }> {
  let got: { topic: string; payload: string; qos: number } | undefined;
  c.setCallback((t, m, info) => {
    got = { topic: text(t), payload: text(m), qos: info.qos };
  });
  await withTimeout(c.waitMsg(), 5000, "a message");
  return got!;
}

function peerMessage(p: MqttClient, topic: string): Promise<{ payload: string; qos: number }> {
  return withTimeout(
    new Promise((resolve) => {
      p.on("message", (t, payload, packet) => {
        if (t === topic) resolve({ payload: payload.toString(), qos: packet.qos });
      });
    }),
    5000,
    `a message on ${topic} at the peer`,
  );
}

describe("aedes over ws://", () => {
  let broker: AedesBroker;
  beforeAll(async () => {
    broker = await startAedes({ webSocket: true });
  });
  afterAll(() => broker.close());

  test("QoS 0 and 1 both ways with an MQTT.js peer on the same WebSocket server", async () => {
    const p = await peer(broker.url);
    await p.subscribeAsync("ws/up/#", { qos: 1 });
    const c = client(broker.url);
    expect(await c.connect()).toBe(false);
    expect(await c.subscribe("ws/down/#", 1)).toBe(1);

    for (const qos of [0, 1] as const) {
      const up = peerMessage(p, `ws/up/${qos}`);
      await c.publish(`ws/up/${qos}`, `up ${qos}`, false, qos);
      expect(await up).toEqual({ payload: `up ${qos}`, qos });
      await p.publishAsync(`ws/down/${qos}`, `down ${qos}`, { qos });
      expect(await next(c)).toEqual({ topic: `ws/down/${qos}`, payload: `down ${qos}`, qos });
    }
  });

  test("a retained message reaches a later subscriber", async () => {
    const c = client(broker.url);
    await c.connect();
    const topic = `ws/retained/${seq}`;
    await c.publish(topic, "kept", true, 1);
    const late = client(broker.url);
    await late.connect();
    await late.subscribe(topic, 1);
    expect(await next(late)).toEqual({ topic, payload: "kept", qos: 1 });
    await c.publish(topic, "", true, 1);
  });

  test("the path is part of the URL: another path is refused by the server", async () => {
    const c = client(broker.url.replace("/mqtt", "/other"));
    await expect(c.connect()).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});

describe("framing, through the frame-shaping bridge", () => {
  let broker: AedesBroker;
  let bridge: FrameBridge;
  beforeAll(async () => {
    broker = await startAedes();
    bridge = await startFrameBridge({ target: broker });
  });
  afterAll(async () => {
    await bridge.close();
    await broker.close();
  });
  afterEach(() => bridge.shape({ kind: "as-is" }));

  test("a packet split across 3-byte frames arrives whole (QoS 1, 2 KB payload)", async () => {
    const c = client(bridge.url);
    await c.connect();
    await c.subscribe("split/t", 1);
    bridge.shape({ kind: "split", size: 3 });
    const sent = bridge.frames.length;
    const payload = "x".repeat(2000);
    await c.publish("split/t", payload, false, 1);
    expect(await next(c)).toEqual({ topic: "split/t", payload, qos: 1 });
    const frames = bridge.frames.slice(sent);
    // the PUBACK (4 bytes) and the PUBLISH each spanned frames
    expect(frames.length).toBeGreaterThan(600);
    expect(frames.every((f) => f.bytes <= 3)).toBe(true);
    expect(frames.filter((f) => f.packets === 1).length).toBe(2);
    expect(c.isConnected()).toBe(true);
  });

  test("several packets in one frame are all delivered, in order", async () => {
    const c = client(bridge.url);
    await c.connect();
    await c.subscribe("pack/t", 0);
    const p = await peer(broker.url);
    bridge.shape({ kind: "pack", count: 3 });
    const sent = bridge.frames.length;
    for (const n of [1, 2, 3]) await p.publishAsync("pack/t", `m${n}`, { qos: 0 });
    for (const n of [1, 2, 3]) expect((await next(c)).payload).toBe(`m${n}`);
    expect(bridge.frames.slice(sent).map((f) => f.packets)).toEqual([3]);
  });

  test("a text frame from the broker closes the connection with a protocol error [MQTT-6.0.0-1]", async () => {
    const c = client(bridge.url);
    await c.connect();
    c.setCallback(() => {});
    const waiting = c.waitMsg().catch((err: unknown) => err);
    bridge.sendText("hello");
    expect(await withTimeout(waiting, 5000, "the close")).toMatchObject({
      code: ErrorCode.PROTOCOL,
      message: expect.stringContaining("text frame"),
    });
    expect(c.isConnected()).toBe(false);
  });

  test("a will is published when the WebSocket drops", async () => {
    const p = await peer(broker.url);
    await p.subscribeAsync("will/t", { qos: 1 });
    const c = client(bridge.url);
    c.setLastWill("will/t", "gone", false, 1);
    await c.connect();
    const will = peerMessage(p, "will/t");
    // dropping the bridge's connections drops the broker side without a DISCONNECT
    await bridge.close();
    expect(await will).toEqual({ payload: "gone", qos: 1 });
    bridge = await startFrameBridge({ target: broker });
  });

  test("a WebSocket that cannot pause (as a browser's) is bounded by the inbox hard cap", async () => {
    // The ws package's socket without pause()/resume(): data keeps arriving while paused.
    class BrowserLike extends WebSocket {}
    Object.assign(BrowserLike.prototype, { pause: undefined, resume: undefined });
    const c = client(bridge.url, {
      webSocket: BrowserLike as unknown as typeof WebSocket,
      maxQueuedMessages: 10,
    });
    await c.connect();
    await c.subscribe("cap/t", 0);
    // Nobody takes messages and nothing awaits an ack: the client pauses, the socket does not.
    const p = await peer(broker.url);
    const payload = "x".repeat(1000);
    for (let i = 0; i < 2000 && c.isConnected(); i++) {
      await p.publishAsync("cap/t", payload, { qos: 0 });
    }
    // The close has no event of its own in the simple client; it is seen within a turn or two.
    await withTimeout(
      (async () => {
        while (c.isConnected()) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      "the hard-cap close",
    );
    // The hard cap: 16 × maxQueuedMessages (10) messages.
    const err = await c.publish("cap/t", "after").catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCode.NOT_CONNECTED,
      cause: { code: ErrorCode.INBOX_OVERFLOW },
    });
  });
});

describe("aedes over wss:// with the test certificates", () => {
  let broker: AedesBroker;
  let certs: CertSet;
  beforeAll(async () => {
    certs = await generateCerts();
    broker = await startAedes({
      webSocket: true,
      tls: { key: certs.serverKeyPem, cert: certs.serverCertPem },
    });
  });
  afterAll(() => broker.close());

  test("verified against the CA: connects, publishes and receives", async () => {
    expect(broker.url.startsWith("wss://")).toBe(true);
    const c = client(broker.url, { sslParams: { ca: certs.caPem } });
    await c.connect();
    await c.subscribe("wss/t", 1);
    await c.publish("wss/t", "secure", false, 1);
    expect(await next(c)).toEqual({ topic: "wss/t", payload: "secure", qos: 1 });
  });

  test("refused without the CA (verified by default)", async () => {
    const c = client(broker.url);
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    expect(String((err as Error).message)).toMatch(/certificate/i);
  });

  test("refused with the wrong CA", async () => {
    const c = client(broker.url, { sslParams: { ca: certs.wrongCaPem } });
    await expect(c.connect()).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});

// The flood: aedes (TCP + WebSocket) and the MQTT.js publisher in child processes.
const require = createRequire(import.meta.url);
const url = (name: string): string => JSON.stringify(pathToFileURL(require.resolve(name)).href);
const FLOOD_COUNT = 20_480;
const FLOOD_SIZE = 1024;
const HEAP_BAR = 16 * 1024 * 1024;

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});
function child(source: string): { lines: string[]; line(match: string): Promise<string> } {
  const proc = spawn(process.execPath, ["--input-type=module", "-e", source], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(proc);
  const lines: string[] = [];
  const waiters: [string, (line: string) => void][] = [];
  let rest = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters.splice(0))
        w[0] === l || l.startsWith(w[0]) ? w[1](l) : waiters.push(w);
    }
  });
  return {
    lines,
    line: (match) =>
      withTimeout(
        new Promise<string>((resolve) => {
          const hit = lines.find((l) => l === match || l.startsWith(match));
          if (hit) resolve(hit);
          else waiters.push([match, resolve]);
        }),
        20_000,
        `"${match}" from a child`,
      ),
  };
}

test("flood: 20 MiB of QoS 0 at a WebSocket subscriber that does not read keeps its heap growth under 16 MiB, then drains", async () => {
  const broker = child(`
    import http from "node:http";
    import net from "node:net";
    const { Aedes } = await import(${url("aedes")});
    const { WebSocketServer, createWebSocketStream } = (await import(${url("ws")})).default;
    const broker = await Aedes.createBroker();
    const tcp = net.createServer(broker.handle);
    const web = http.createServer();
    new WebSocketServer({ server: web, handleProtocols: () => "mqtt" })
      .on("connection", (ws) => broker.handle(createWebSocketStream(ws)));
    tcp.listen(0, "127.0.0.1", () => web.listen(0, "127.0.0.1", () =>
      console.log("ports " + tcp.address().port + " " + web.address().port)));
  `);
  const [tcpPort, wsPort] = (await broker.line("ports ")).slice(6).split(" ").map(Number);
  const sub = client(`ws://127.0.0.1:${wsPort}/mqtt`, { keepalive: 10 }, "flood");
  let received = 0;
  let outOfOrder = 0;
  sub.setCallback((_t, payload) => {
    if (new DataView(payload.buffer, payload.byteOffset).getUint32(0) !== received) outOfOrder++;
    received++;
  });
  await sub.connect();
  await sub.subscribe("flood/t", 0);
  const before = heapInUse();
  const pub = child(`
    const mqtt = (await import(${url("mqtt")})).default;
    const c = await mqtt.connectAsync("mqtt://127.0.0.1:${tcpPort}", { reconnectPeriod: 0 });
    console.log("connected");
    const payload = Buffer.alloc(${FLOOD_SIZE}, 0x61);
    for (let i = 0; i < ${FLOOD_COUNT}; i++) {
      payload.writeUInt32BE(i, 0);
      await new Promise((resolve, reject) => c.publish("flood/t", Buffer.from(payload), { qos: 0 }, (e) => e ? reject(e) : resolve()));
      if ((i + 1) % 1024 === 0) console.log("progress " + (i + 1));
    }
    console.log("done");
    await c.endAsync();
  `);
  await pub.line("connected");
  // Pressure: until the publisher is done or stalls for 750 ms (pushed back all the way).
  let peak = 0;
  let seen = 0;
  let lastProgress = Date.now();
  while (!pub.lines.includes("done") && Date.now() - lastProgress < 750) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, heapInUse() - before);
    if (pub.lines.length !== seen) {
      seen = pub.lines.length;
      lastProgress = Date.now();
    }
  }
  peak = Math.max(peak, heapInUse() - before);
  console.info(
    `[ws] flood: heap+arrayBuffers growth peak ${(peak / 2 ** 20).toFixed(2)} MiB while not reading`,
  );
  expect(received).toBe(0);
  expect(peak).toBeLessThan(HEAP_BAR);
  expect(sub.isConnected()).toBe(true);
  while (received < FLOOD_COUNT) {
    if ((await sub.checkMsg()) === null) {
      await withTimeout(sub.waitMsg(), 10_000, `message ${received + 1}`);
    }
  }
  await pub.line("done");
  expect(received).toBe(FLOOD_COUNT);
  expect(outOfOrder).toBe(0);
}, 120_000);
