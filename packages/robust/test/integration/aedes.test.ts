/**
 * Acceptance bars R1, R2 and R4 of the robust layer against embedded aedes, through the real
 * TCP fault proxy: connections cut at random moments, a black-holed link, a broker that lost
 * every session, and checkMsg() while the broker is down.
 */
import {
  type AedesBroker,
  type FaultProxy,
  prng,
  startAedes,
  startFaultProxy,
  text,
  waitFor,
  withTimeout,
} from "@umqtt/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, MQTTClient, MqttClientError } from "../../src/index.js";
import { clientPool, collect, FAST, firstOccurrences, Recorder } from "./helpers.js";

let broker: AedesBroker;
let proxy: FaultProxy;
const own = clientPool();

beforeEach(async () => {
  broker = await startAedes();
  proxy = await startFaultProxy({ target: { host: broker.host, port: broker.port } });
});

afterEach(async () => {
  await proxy.close();
  await broker.close();
});

const direct = () => ({ port: broker.port });
const viaProxy = () => ({ port: proxy.port });

describe("R1: connections cut at random moments lose no QoS 1 message", () => {
  it("2000 numbered QoS 1 messages, ≥ 20 drops: every number arrives, first occurrences in order, re-sends carry DUP and their original id", async () => {
    const TOTAL = 2000;
    const SEED = 0x5eed_2024;
    const random = prng(SEED);
    const started = performance.now();

    const sub = own(new MQTTClient("r1-sub", broker.host, { ...FAST, ...direct() }));
    await sub.connect(false);
    expect(await sub.subscribe("r1/n", 1)).toBe(1);
    const got = collect(sub);

    const pub = own(new Recorder("r1-pub", proxy.host, { ...FAST, ...viaProxy() }));
    await pub.connect(false);

    // Drop every connection when the tap has seen a random number (seeded) of PUBLISHes since
    // the last drop: the cut lands mid-stream, often inside a chunk still on its way.
    let drops = 0;
    let droppedConn = 0;
    let seen = 0;
    let nextDropAt = 10 + Math.floor(random() * 60);
    let streaming = true;
    const firstSight = new Map<number, { pid: number; conn: number }>();
    const violations: string[] = [];
    let dupes = 0;
    proxy.onPacket((rec, dir) => {
      if (dir !== "up" || rec.packet.type !== "publish") return;
      const p = rec.packet;
      const n = Number(text(p.payload));
      const earlier = firstSight.get(n);
      if (earlier === undefined) {
        firstSight.set(n, { pid: p.packetId!, conn: rec.conn });
      } else {
        dupes++;
        // [MQTT-3.3.1-1] DUP on re-delivery; [MQTT-4.4.0-1] with the original packet id.
        if (!p.dup) violations.push(`#${n} re-sent on conn ${rec.conn} without DUP`);
        if (p.packetId !== earlier.pid)
          violations.push(`#${n} re-sent with pid ${p.packetId}, was ${earlier.pid}`);
        if (rec.conn === earlier.conn) violations.push(`#${n} sent twice on conn ${rec.conn}`);
      }
      // One drop per connection: the rest of a chunk already cut off does not count again.
      if (streaming && rec.conn > droppedConn && ++seen >= nextDropAt) {
        seen = 0;
        droppedConn = rec.conn;
        nextDropAt = 10 + Math.floor(random() * 60);
        drops++;
        // Half the cuts swallow the chunk in hand; the others land a little later, once the
        // broker may have taken the PUBLISH but its PUBACK is still on the way (a duplicate).
        if (random() < 0.5) proxy.dropAll();
        else setTimeout(() => proxy.dropAll(), Math.floor(random() * 4));
      }
    });

    const publishes: Promise<void>[] = [];
    for (let n = 0; n < TOTAL; n++) publishes.push(pub.publish("r1/n", String(n), false, 1));
    await withTimeout(Promise.all(publishes), 40_000, "all 2000 PUBACKs");
    streaming = false;
    await got.until(TOTAL, 10_000);
    const elapsed = performance.now() - started;

    expect(drops).toBeGreaterThanOrEqual(20);
    expect(violations).toEqual([]);
    expect(got.distinct.size).toBe(TOTAL);
    expect(firstOccurrences(got.received)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    // Each drop cost a reconnect. (aedes reports "session present" only for a client
    // with subscriptions, so the publisher sees false; the re-send does not depend on it.)
    // (The last, delayed cut may land after the final PUBACK, so count at least 20.)
    expect(pub.sessions.length - 1).toBeGreaterThanOrEqual(20);
    console.info(
      `R1: ${TOTAL} msgs, ${drops} drops, ${pub.sessions.length - 1} reconnects, ${dupes} re-sent PUBLISHes at the tap, ` +
        `${got.received.length - TOTAL} duplicates delivered, ${Math.round(elapsed)} ms (seed ${SEED})`,
    );
  }, 60_000);
});

describe("R2: a black-holed link", () => {
  it("is declared dead within 1.5 × keepalive, and the pending QoS 1 publish resolves after the black hole ends", async () => {
    const client = own(
      new Recorder("r2", proxy.host, { ...FAST, ...viaProxy(), keepalive: 2, connectTimeout: 500 }),
    );
    await client.connect(false);
    await client.publish("r2/t", "before", false, 1); // the last byte received: its PUBACK
    const holeAt = performance.now();
    proxy.blackhole(true);
    const pending = client.publish("r2/t", "during", false, 1);
    let resolvedAt = 0;
    void pending.then(() => {
      resolvedAt = performance.now();
    });

    const dead = await client.nextLog(
      (r) =>
        !r.inReconnect &&
        r.err instanceof MqttClientError &&
        r.err.code === ErrorCode.KEEPALIVE_TIMEOUT,
      5000,
    );
    const detection = dead.at - holeAt;
    expect(detection).toBeLessThanOrEqual(3000 + 300); // 1.5 × keepalive + margin
    expect(detection).toBeGreaterThan(1500); // it was the keepalive that noticed
    const ping = await proxy.waitForPacket(
      (r) => r.dir === "up" && r.packet.type === "pingreq",
      100,
    );
    expect(ping.dropped).toBe(true);
    expect(resolvedAt).toBe(0);

    // Attempts during the black hole time out (CONNECT swallowed), and are retried.
    await client.nextLog((r) => r.inReconnect, 3000);
    const healedAt = performance.now();
    proxy.blackhole(false);
    await withTimeout(pending, 5000, "the pending QoS 1 publish");
    expect(client.isConnected()).toBe(true);
    console.info(
      `R2: dead after ${Math.round(detection)} ms (keepalive 2 s), publish resolved ${Math.round(resolvedAt - healedAt)} ms after the black hole ended`,
    );
  }, 20_000);
});

describe("R4: a broker that lost its session", () => {
  it("gets the subscriptions back automatically; messages published after the restart arrive", async () => {
    const sub = own(new Recorder("r4-sub", proxy.host, { ...FAST, ...viaProxy() }));
    expect(await sub.connect(false)).toBe(false);
    await sub.subscribe("r4/+/x", 1);
    await sub.subscribe("r4/all/#", 0);
    const got = collect(sub);

    await broker.restart(); // fresh aedes on the same port: no sessions, no subscriptions
    // The reconnect finds no session and renews both subscriptions (seen at the tap).
    await proxy.waitForPacket(
      (r) => r.dir === "down" && r.packet.type === "suback" && r.conn > 1,
      5000,
    );
    await proxy.waitForPacket(
      (r) =>
        r.dir === "down" &&
        r.packet.type === "suback" &&
        r.conn > 1 &&
        proxy.tap.filter((u) => u.conn === r.conn && u.packet.type === "subscribe").length === 2,
      5000,
    );
    expect(sub.sessions).toEqual([false, false]);
    const renewed = proxy.tap
      .filter((r) => r.conn > 1 && r.packet.type === "subscribe")
      .flatMap((r) => (r.packet.type === "subscribe" ? r.packet.subscriptions : []));
    expect(renewed).toEqual([
      { topicFilter: "r4/+/x", qos: 1 },
      { topicFilter: "r4/all/#", qos: 0 },
    ]);

    const pub = own(new MQTTClient("r4-pub", broker.host, { ...FAST, ...direct() }));
    await pub.connect();
    await pub.publish("r4/a/x", "1", false, 1);
    await pub.publish("r4/all/y", "2", false, 0);
    await got.until(2, 5000);
    expect(got.texts).toEqual(["1", "2"]);
  });
});

describe("checkMsg() while the broker is down", () => {
  it("resolves null within 1 s, every call, and picks up messages once the broker is back", async () => {
    const client = own(new MQTTClient("chk", proxy.host, { ...FAST, ...viaProxy() }));
    const got: string[] = [];
    client.setCallback((_t, m) => {
      got.push(text(m));
    });
    await client.connect(false);
    await client.subscribe("chk/t", 1);
    proxy.refuse(true);
    proxy.dropAll();
    await waitFor(() => !client.isConnected(), { timeoutMs: 2000, what: "the drop noticed" });
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      expect(await withTimeout(client.checkMsg(), 1500, "checkMsg() while down")).toBeNull();
      durations.push(performance.now() - t0);
    }
    for (const d of durations) expect(d).toBeLessThan(1000);
    expect(client.isConnected()).toBe(false);
    expect(proxy.connections()).toBe(0);

    proxy.refuse(false);
    const pub = own(new MQTTClient("chk-pub", broker.host, { ...FAST, ...direct() }));
    await pub.connect();
    await pub.publish("chk/t", "back", false, 1); // queued by the broker for the persistent session
    const deadline = performance.now() + 5000;
    while (got.length === 0 && performance.now() < deadline) await client.checkMsg();
    expect(got).toEqual(["back"]);
    console.info(`checkMsg while down: ${durations.map((d) => Math.round(d)).join(", ")} ms`);
  });
});
