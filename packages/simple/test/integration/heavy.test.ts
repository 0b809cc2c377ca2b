/**
 * Heavy bars, against both brokers:
 * (a) a 50 MiB QoS 0 flood at a subscriber that does not read: bounded heap, then drained;
 * (b) 500 concurrent QoS 1 publishes;
 * (c) a broker crash rejects every pending promise with a ConnectionError, and a black-holed
 *     link is found dead by keepalive within 1.5 × keepalive.
 *
 * For the flood only our subscriber lives in this process: the publisher (MQTT.js) runs in a
 * child process, and so does aedes, so the heap measured here is the subscriber's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { heapInUse, text, withTimeout } from "@umqtt/testkit";
import { afterEach, expect, test } from "vitest";
import { ConnectionError, ErrorCode, type MQTTClient } from "../../src/index.js";
import { eachBroker, elapse, Fixture, receiver, sharedBroker } from "./helpers.js";

const require = createRequire(import.meta.url);
const MQTT_URL = pathToFileURL(require.resolve("mqtt")).href;
const AEDES_URL = pathToFileURL(require.resolve("aedes")).href;

const FLOOD_COUNT = 51_200;
const FLOOD_SIZE = 1024;
const HEAP_BAR = 16 * 1024 * 1024;

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
});

/** Runs an ES module snippet in a child node; `lines` yields its stdout line by line. */
function child(source: string): {
  proc: ChildProcess;
  line(pred: (l: string) => boolean, ms: number): Promise<string>;
  readonly lines: string[];
} {
  const proc = spawn(process.execPath, ["--input-type=module", "-e", source], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(proc);
  const lines: string[] = [];
  const waiters = new Set<{ pred: (l: string) => boolean; resolve: (l: string) => void }>();
  let rest = "";
  let stderr = "";
  proc.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  proc.stdout?.on("data", (b: Buffer) => {
    const parts = (rest + b.toString()).split("\n");
    rest = parts.pop() ?? "";
    for (const l of parts) {
      lines.push(l);
      for (const w of [...waiters]) {
        if (!w.pred(l)) continue;
        waiters.delete(w);
        w.resolve(l);
      }
    }
  });
  return {
    proc,
    lines,
    line(pred, ms) {
      const found = lines.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return withTimeout(
        new Promise<string>((resolve, reject) => {
          waiters.add({ pred, resolve });
          proc.once("exit", (code) =>
            reject(new Error(`child exited (${code}) before the expected line:\n${stderr}`)),
          );
        }),
        ms,
        "a line from the child process",
      );
    },
  };
}

/** aedes in a child process: resolves to its port. */
async function aedesChild(): Promise<{ host: string; port: number }> {
  const c = child(`
    import net from "node:net";
    const { Aedes } = await import(${JSON.stringify(AEDES_URL)});
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
  `);
  const l = await c.line((x) => x.startsWith("port "), 10_000);
  return { host: "127.0.0.1", port: Number(l.slice(5)) };
}

/** An MQTT.js publisher in a child process: COUNT messages of SIZE bytes, QoS 0, with backpressure. */
function floodPublisher(target: { host: string; port: number }, topic: string) {
  return child(`
    const mqtt = (await import(${JSON.stringify(MQTT_URL)})).default;
    const c = await mqtt.connectAsync("mqtt://${target.host}:${target.port}", { protocolVersion: 4, reconnectPeriod: 0 });
    console.log("connected");
    const payload = Buffer.alloc(${FLOOD_SIZE}, 0x61);
    for (let i = 0; i < ${FLOOD_COUNT}; i++) {
      payload.writeUInt32BE(i, 0);
      // The callback runs once the packet is written, after 'drain' when the socket is full.
      await new Promise((resolve, reject) => c.publish(${JSON.stringify(topic)}, Buffer.from(payload), { qos: 0 }, (e) => e ? reject(e) : resolve()));
      if ((i + 1) % 1024 === 0) console.log("progress " + (i + 1));
    }
    console.log("done");
    await c.endAsync();
  `);
}

eachBroker((kind) => {
  const broker = sharedBroker(kind);
  const fx = new Fixture();

  test("flood: 50 MiB of QoS 0 at a subscriber that does not read keeps its heap growth under 16 MiB, then drains completely", async () => {
    const target = kind.name === "aedes" ? await aedesChild() : await broker();
    const topic = `${fx.id("flood")}/t`;
    const sub = fx.client(target, fx.id("flood-sub"), { keepalive: 10 });
    let received = 0;
    let expected = 0;
    let outOfOrder = 0;
    sub.setCallback((_t, payload) => {
      if (
        payload.length !== FLOOD_SIZE ||
        new DataView(payload.buffer, payload.byteOffset).getUint32(0) !== expected
      ) {
        outOfOrder++;
      }
      expected++;
      received++;
    });
    await sub.connect(true);
    await sub.subscribe(topic, 0);
    const before = heapInUse();

    const pub = floodPublisher(target, topic);
    await pub.line((l) => l === "connected", 10_000);
    // Pressure phase: until the publisher is done (the broker buffers the flood) or makes no
    // progress for 750 ms (the broker pushed back all the way to the publisher).
    let peak = 0;
    let lastProgress = Date.now();
    let seen = 0;
    while (!pub.lines.includes("done") && Date.now() - lastProgress < 750) {
      await elapse(100);
      peak = Math.max(peak, heapInUse() - before);
      if (pub.lines.length !== seen) {
        seen = pub.lines.length;
        lastProgress = Date.now();
      }
    }
    await elapse(200);
    peak = Math.max(peak, heapInUse() - before);
    const published = Number(
      pub.lines
        .filter((l) => l.startsWith("progress "))
        .at(-1)
        ?.slice(9) ?? 0,
    );
    console.info(
      `[${kind.name}] flood: heap+arrayBuffers growth peak ${(peak / 2 ** 20).toFixed(2)} MiB while not reading; ` +
        `publisher had written ${pub.lines.includes("done") ? FLOOD_COUNT : published} of ${FLOOD_COUNT}`,
    );
    expect(received).toBe(0); // nobody asked for a message yet
    expect(peak).toBeLessThan(HEAP_BAR);
    expect(sub.isConnected()).toBe(true);

    // Drain with checkMsg()/waitMsg().
    const started = Date.now();
    while (received < FLOOD_COUNT) {
      const r = await sub.checkMsg();
      if (r === null)
        await withTimeout(sub.waitMsg(), 10_000, `message ${received + 1} of ${FLOOD_COUNT}`);
    }
    await pub.line((l) => l === "done", 10_000);
    console.info(
      `[${kind.name}] flood: drained ${FLOOD_COUNT} messages in ${Date.now() - started} ms`,
    );
    expect(received).toBe(FLOOD_COUNT);
    expect(outOfOrder).toBe(0);
    expect(await sub.checkMsg()).toBeNull();
    const after = heapInUse() - before;
    expect(after).toBeLessThan(HEAP_BAR);
  }, 60_000);

  test("500 concurrent QoS 1 publishes all resolve and all arrive", async () => {
    const b = await broker();
    const t = fx.id("concurrent");
    const sub = fx.client(b, fx.id("conc-sub"));
    await sub.connect(true);
    await sub.subscribe(t, 1);
    const pub = fx.client(b, fx.id("conc-pub"), { maxInflight: 64 });
    await pub.connect(true);

    const n = Array.from({ length: 500 }, (_, i) => i);
    const all = Promise.all(n.map((i) => pub.publish(t, `m${i}`, false, 1)));
    const got: string[] = [];
    for await (const m of sub.messages()) {
      expect(m.qos).toBe(1);
      got.push(text(m.payload));
      if (got.length === n.length) break;
    }
    await withTimeout(all, 10_000, "500 publishes");
    // One publisher, one topic: the broker keeps the order.
    expect(got).toEqual(n.map((i) => `m${i}`));
  });

  test("broker crash: every pending promise rejects with a ConnectionError within 1.5 × keepalive", async () => {
    const keepalive = 2;
    const b = await fx.broker(kind);
    const t = fx.id("crash");
    const c = fx.client(b, fx.id("crash-client"), { keepalive });
    c.setCallback(() => {});
    await c.connect(true);
    await c.subscribe(`${t}/in`, 1);
    // Mid-way: traffic is flowing, some publishes are done.
    const early = Array.from({ length: 50 }, (_, i) =>
      c.publish(`${t}/out`, `early ${i}`, false, 1),
    );
    const earlySettled = Promise.allSettled(early);
    await early[0];

    const pending = {
      ...Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [
          `publish ${i}`,
          c.publish(`${t}/out`, `late ${i}`, false, 1),
        ]),
      ),
      waitMsg: c.waitMsg(),
      subscribe: c.subscribe(`${t}/other`, 1),
      ping: c.ping(),
    } as Record<string, Promise<unknown>>;
    const started = performance.now();
    // Outcomes are recorded from now on, so no rejection is ever unhandled.
    const settled = Promise.all(
      Object.entries(pending).map(([name, p]) =>
        p.then(
          () => ({ name, error: undefined as unknown, at: performance.now() - started }),
          (error: unknown) => ({ name, error, at: performance.now() - started }),
        ),
      ),
    );
    await b.crash();

    const deadline = keepalive * 1500 + 500;
    const outcomes = await withTimeout(settled, deadline + 1000, "pending operations to settle");
    for (const o of outcomes) {
      expect(o.error, `${o.name} must reject`).toBeInstanceOf(ConnectionError);
      expect(o.at, `${o.name} settled late`).toBeLessThan(deadline);
    }
    // Early publishes: acknowledged before the crash, or rejected with a ConnectionError.
    for (const r of await earlySettled) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConnectionError);
    }
    expect(c.isConnected()).toBe(false);
    await expect(c.publish(`${t}/out`, "after", false, 1)).rejects.toMatchObject({
      code: ErrorCode.NOT_CONNECTED,
    });
  });

  test("black-holed link: keepalive declares it dead within 1.5 × keepalive and pending operations reject", async () => {
    const keepalive = 2;
    const b = await broker();
    const proxy = await fx.proxy(b);
    const t = fx.id("blackhole");
    const c: MQTTClient = fx.client({ host: proxy.host, port: proxy.port }, fx.id("bh-client"), {
      keepalive,
    });
    const rx = receiver(c);
    await c.connect(true);
    await c.subscribe(`${t}/in`, 1);
    const lastReceived = performance.now(); // the SUBACK
    // The broker runs its own keepalive timer (1.5 × keepalive after the last byte it got)
    // and would close the link itself; make the client's last byte reach it later than the
    // broker's last byte reached the client, so that the client's detection comes first.
    await elapse(300);
    await c.publish(`${t}/noise`, "n", false, 0);
    await proxy.waitForPacket((r) => r.packet.type === "publish" && r.dir === "up");
    proxy.blackhole(true);
    const blackholed = performance.now();

    const waiting = rx.next(10_000);
    const publishing = c.publish(`${t}/out`, "into the void", false, 1);
    const [w, p] = await Promise.allSettled([waiting, publishing]);
    const detected = performance.now();
    for (const r of [w, p]) {
      expect(r.status).toBe("rejected");
      if (r.status === "rejected") {
        expect(r.reason).toBeInstanceOf(ConnectionError);
        expect(r.reason).toMatchObject({ code: ErrorCode.KEEPALIVE_TIMEOUT });
      }
    }
    console.info(
      `[${kind.name}] blackhole: dead after ${(detected - lastReceived).toFixed(0)} ms of silence ` +
        `(${(detected - blackholed).toFixed(0)} ms after the blackhole), keepalive ${keepalive * 1000} ms`,
    );
    // Timer slop margin on top of 1.5 × keepalive.
    expect(detected - lastReceived).toBeLessThan(keepalive * 1500 + 400);
    // A PINGREQ went out (and was swallowed) before the verdict.
    expect(proxy.tap.some((r) => r.packet.type === "pingreq" && r.dropped)).toBe(true);
    expect(c.isConnected()).toBe(false);
  });
});
