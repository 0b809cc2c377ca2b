/**
 * QoS 2 end to end through each broker (DESIGN §10): our publisher and subscriber at QoS 2 with
 * the four-packet flow seen on the wire by the fault proxy's tap (no faults injected), a
 * subscription granted QoS 2 delivering QoS 2 (and the lower QoS of a lower publish), MQTT.js 5
 * as the peer at QoS 2 both ways, and the broker's re-delivery after a reconnect (aedes 1.2.0
 * re-sends with DUP = 0, which [MQTT-3.3.1-1] forbids; asserted as its deviation).
 */
import type { FaultProxy, TapRecord } from "@umqtt/testkit";
import { text, waitFor } from "@umqtt/testkit";
import { expect, test } from "vitest";
import { eachBroker, Fixture, nextMqttjsMessage, receiver, sharedBroker } from "./helpers.js";

/** Records the QoS 2 flow packets of a proxy as "dir type", in the order they reached it. */
function flow(proxy: FaultProxy): string[] {
  const kinds = new Set(["publish", "pubrec", "pubrel", "pubcomp"]);
  const seen: string[] = [];
  proxy.onPacket((r: TapRecord) => {
    if (kinds.has(r.packet.type)) seen.push(`${r.dir} ${r.packet.type}`);
  });
  return seen;
}

/**
 * mosquitto 2.0.11 takes at most 20 (its max_inflight_messages) inbound QoS 2 PUBLISHes per
 * client awaiting their PUBREL; the 21st and later are answered with a PUBREC that its log
 * shows as reason code 0x97 (quota exceeded) — on MQTT 3.1.1 a plain PUBREC — and then
 * discarded, while the flow completes normally (PUBREL, PUBCOMP). A 3.1.1 publisher cannot tell
 * a discarded message from a delivered one, so QoS 2 publishers here keep at most 20 in flight.
 */
const MOSQUITTO_QOS2_QUOTA = 20;

eachBroker((kind) => {
  const broker = sharedBroker(kind);
  const fx = new Fixture();
  const window = kind.name === "mosquitto" ? { maxInflight: MOSQUITTO_QOS2_QUOTA } : {};

  test("our QoS 2 publisher → our QoS 2 subscriber: 200 messages, each exactly once, in order, as QoS 2", async () => {
    const b = await broker();
    const t = fx.id("q2");
    const subProxy = await fx.proxy(b);
    const pubProxy = await fx.proxy(b);
    const sub = fx.client(subProxy, fx.id("q2-sub"));
    const rx = receiver(sub);
    await sub.connect(true);
    expect(await sub.subscribe(t, 2)).toBe(2);
    const pub = fx.client(pubProxy, fx.id("q2-pub"), window);
    await pub.connect(true);

    const N = 200;
    const sends = Array.from({ length: N }, (_, i) => pub.publish(t, `m${i}`, false, 2));
    const got: string[] = [];
    for (let i = 0; i < N; i++) {
      const m = await rx.next();
      expect(m).toMatchObject({ topic: t, qos: 2, retain: false, dup: false, first: 0x34 });
      got.push(text(m.payload));
    }
    await Promise.all(sends);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    // Nothing more: one more message after a barrier is the next one seen.
    await pub.publish(t, "barrier", false, 2);
    expect(text((await rx.next()).payload)).toBe("barrier");
    expect(rx.pending).toEqual([]);

    // The publisher's wire: every PUBLISH at QoS 2, DUP = 0, one PUBREC → PUBREL → PUBCOMP each.
    const up = pubProxy.tap.filter((r) => r.packet.type === "publish");
    expect(up).toHaveLength(N + 1);
    for (const r of up) expect(r.packet).toMatchObject({ qos: 2, dup: false });
    const count = (p: FaultProxy, dir: "up" | "down", type: string) =>
      (dir === "up" ? p.tap : p.brokerTap).filter((r) => r.packet.type === type).length;
    expect(count(pubProxy, "down", "pubrec")).toBe(N + 1);
    expect(count(pubProxy, "up", "pubrel")).toBe(N + 1);
    expect(count(pubProxy, "down", "pubcomp")).toBe(N + 1);
    // The subscriber's wire: the broker's PUBLISH at QoS 2, our PUBREC, its PUBREL, our PUBCOMP.
    // (The last PUBCOMP follows our PUBREC of the barrier, sent after waitMsg() took it.)
    await subProxy.waitForPacket(
      (r) => r.dir === "up" && r.packet.type === "pubcomp" && count(subProxy, "up", "pubcomp") > N,
      5000,
    );
    expect(count(subProxy, "down", "publish")).toBe(N + 1);
    expect(count(subProxy, "up", "pubrec")).toBe(N + 1);
    expect(count(subProxy, "down", "pubrel")).toBe(N + 1);
    expect(count(subProxy, "up", "pubcomp")).toBe(N + 1);
  }, 30_000);

  test("one QoS 2 message, packet by packet in order on both sides", async () => {
    const b = await broker();
    const t = fx.id("q2-one");
    const subProxy = await fx.proxy(b);
    const pubProxy = await fx.proxy(b);
    const sub = fx.client(subProxy, fx.id("one-sub"));
    const rx = receiver(sub);
    await sub.connect(true);
    await sub.subscribe(t, 2);
    const pub = fx.client(pubProxy, fx.id("one-pub"));
    await pub.connect(true);
    const pubFlow = flow(pubProxy);
    const subFlow = flow(subProxy);
    await pub.publish(t, "once", false, 2);
    expect(text((await rx.next()).payload)).toBe("once");
    expect(pubFlow).toEqual(["up publish", "down pubrec", "up pubrel", "down pubcomp"]);
    // The subscriber's PUBCOMP follows the broker's PUBREL, which may still be on its way.
    await subProxy.waitForPacket((r) => r.dir === "up" && r.packet.type === "pubcomp", 5000);
    expect(subFlow).toEqual(["down publish", "up pubrec", "down pubrel", "up pubcomp"]);
  });

  test("a subscription granted QoS 2 delivers QoS 2; lower publishes arrive at their own QoS", async () => {
    const b = await broker();
    const t = fx.id("granted");
    const sub = fx.client(b, fx.id("granted-sub"));
    const rx = receiver(sub);
    await sub.connect(true);
    expect(await sub.subscribe(t, 2)).toBe(2);
    const them = await fx.mqttjs(b);
    for (const qos of [2, 1, 0] as const) {
      await them.publishAsync(t, `q${qos}`, { qos });
      const m = await rx.next();
      expect([text(m.payload), m.qos, m.first]).toEqual([`q${qos}`, qos, 0x30 | (qos << 1)]);
    }
    // A QoS 1 subscription downgrades a QoS 2 publish to QoS 1 [MQTT-3.8.4-6].
    const t1 = `${t}-q1`;
    expect(await sub.subscribe(t1, 1)).toBe(1);
    await them.publishAsync(t1, "down", { qos: 2 });
    expect((await rx.next()).qos).toBe(1);
  });

  test("our QoS 2 publisher → MQTT.js QoS 2 subscriber: each message once, at QoS 2", async () => {
    const b = await broker();
    const t = fx.id("to-mqttjs-q2");
    const them = await fx.mqttjs(b);
    const granted = await them.subscribeAsync(t, { qos: 2 });
    expect(granted[0]?.qos).toBe(2);
    const pub = fx.client(b, fx.id("q2-pub"), window);
    await pub.connect(true);
    const got: { payload: string; qos: number; dup: boolean }[] = [];
    const N = 100;
    const all = new Promise<void>((resolve) => {
      them.on("message", (_topic, payload, packet) => {
        got.push({ payload: payload.toString(), qos: packet.qos, dup: packet.dup });
        if (got.length === N) resolve();
      });
    });
    await Promise.all(Array.from({ length: N }, (_, i) => pub.publish(t, `n${i}`, false, 2)));
    await all;
    expect(got).toEqual(
      Array.from({ length: N }, (_, i) => ({ payload: `n${i}`, qos: 2, dup: false })),
    );
    // Nothing after the N: the next message is the sentinel.
    const sentinel = nextMqttjsMessage(them);
    await pub.publish(t, "sentinel", false, 2);
    expect((await sentinel).payload.toString()).toBe("sentinel");
    expect(got).toHaveLength(N + 1);
  });

  test("MQTT.js QoS 2 publisher → our QoS 2 subscriber: each message once, at QoS 2", async () => {
    const b = await broker();
    const t = fx.id("from-mqttjs-q2");
    const sub = fx.client(b, fx.id("q2-sub"));
    const rx = receiver(sub);
    await sub.connect(true);
    expect(await sub.subscribe(t, 2)).toBe(2);
    const them = await fx.mqttjs(b);
    const N = 100;
    // MQTT.js has no window of its own: batches of at most mosquitto's QoS 2 quota.
    for (let i = 0; i < N; i += MOSQUITTO_QOS2_QUOTA) {
      const batch = Array.from({ length: MOSQUITTO_QOS2_QUOTA }, (_, k) => i + k);
      await Promise.all(batch.map((n) => them.publishAsync(t, `n${n}`, { qos: 2 })));
    }
    await them.publishAsync(t, "sentinel", { qos: 2 });
    const got: string[] = [];
    for (let i = 0; i <= N; i++) {
      const m = await rx.next();
      expect([m.qos, m.dup, m.first]).toEqual([2, false, 0x34]);
      got.push(text(m.payload));
    }
    expect(got).toEqual([...Array.from({ length: N }, (_, i) => `n${i}`), "sentinel"]);
    expect(rx.pending).toEqual([]);
  });

  if (kind.name === "mosquitto") {
    test(`deviation: mosquitto discards QoS 2 publishes beyond ${MOSQUITTO_QOS2_QUOTA} awaiting PUBREL, yet completes their flow`, async () => {
      const b = await broker();
      const t = fx.id("quota");
      const sub = fx.client(b, fx.id("quota-sub"));
      const rx = receiver(sub);
      await sub.connect(true);
      await sub.subscribe(t, 2);
      const proxy = await fx.proxy(b);
      const pub = fx.client(proxy, fx.id("quota-pub"), { maxInflight: 25 });
      await pub.connect(true);
      // All 25 leave in one write, before any PUBREL: mosquitto holds 25 at once.
      await Promise.all(Array.from({ length: 25 }, (_, i) => pub.publish(t, `n${i}`, false, 2)));
      // Every one completed its flow on the wire: PUBREC, PUBREL, PUBCOMP.
      expect(proxy.brokerTap.filter((r) => r.packet.type === "pubcomp")).toHaveLength(25);
      await pub.publish(t, "sentinel", false, 2);
      const got: string[] = [];
      for (;;) {
        const m = text((await rx.next()).payload);
        if (m === "sentinel") break;
        got.push(m);
      }
      // Only the first 20 reach the subscriber; a fixed mosquitto would deliver all 25.
      expect(got).toEqual(Array.from({ length: MOSQUITTO_QOS2_QUOTA }, (_, i) => `n${i}`));
    });
  }

  test(`re-delivery after a reconnect: same packet ids, ${kind.name === "aedes" ? "DUP = 0 (aedes deviation)" : "DUP = 1"}; delivered once`, async () => {
    const b = await broker();
    const t = fx.id("redeliver");
    const proxy = await fx.proxy(b);
    const sub = fx.client(proxy, fx.id("redeliver-sub"));
    const rx = receiver(sub);
    await sub.connect(false);
    await sub.subscribe(t, 2);
    const pub = fx.client(b, fx.id("redeliver-pub"));
    await pub.connect(true);
    for (const m of ["a", "b", "c"]) await pub.publish(t, m, false, 2);
    // Nobody took them yet: no PUBREC went out. Cut, then resume the session.
    const isC = (r: TapRecord) =>
      r.dir === "down" && r.packet.type === "publish" && text(r.packet.payload) === "c";
    await proxy.waitForPacket(isC, 5000);
    expect(proxy.tap.filter((r) => r.packet.type === "pubrec")).toEqual([]);
    proxy.dropAll();
    await waitFor(() => !sub.isConnected(), { timeoutMs: 5000, what: "the drop noticed" });
    expect(await sub.connect(false)).toBe(true);
    await proxy.waitForPacket((r) => r.conn === 2 && isC(r), 5000);
    const sends = proxy.brokerTap
      .filter((r) => r.packet.type === "publish")
      .map((r) => (r.packet.type === "publish" ? r.packet : undefined)!);
    const first = sends.slice(0, 3);
    const again = sends.slice(3);
    expect(again.map((p) => [text(p.payload), p.packetId])).toEqual(
      first.map((p) => [text(p.payload), p.packetId]),
    );
    // [MQTT-3.3.1-1] requires DUP = 1 on a re-delivery; aedes 1.2.0 sends DUP = 0.
    expect(again.map((p) => p.dup)).toEqual(Array(3).fill(kind.name !== "aedes"));
    // Our client recognises the packet ids: each message is delivered once.
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(text((await rx.next()).payload));
    await pub.publish(t, "sentinel", false, 2);
    got.push(text((await rx.next()).payload));
    expect(got).toEqual(["a", "b", "c", "sentinel"]);
  });
});
