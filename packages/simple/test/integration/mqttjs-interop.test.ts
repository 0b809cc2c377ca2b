/**
 * Interoperability with MQTT.js 5 (protocol 3.1.1) as the other peer, through each broker:
 * our publisher → MQTT.js subscriber and MQTT.js publisher → our subscriber, QoS 0 and 1,
 * binary payloads, non-ASCII topics, retained flags.
 */
import { text, utf8 } from "@umqtt/testkit";
import { expect, test } from "vitest";
import {
  eachBroker,
  expectSameBytes,
  Fixture,
  firstByte,
  nextMqttjsMessage,
  receiver,
  sharedBroker,
} from "./helpers.js";

/** Every byte value, then a pattern that is not valid UTF-8. */
const BINARY = new Uint8Array([
  ...Array.from({ length: 256 }, (_, i) => i),
  0xff,
  0xfe,
  0xc0,
  0x80,
  0x00,
]);
const LARGE = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) & 0xff);

eachBroker((kind) => {
  const broker = sharedBroker(kind);
  const fx = new Fixture();

  async function ours(label: string) {
    const client = fx.client(await broker(), fx.id(label));
    const rx = receiver(client);
    await client.connect(true);
    return { client, rx };
  }

  for (const qos of [0, 1] as const) {
    test(`our publisher → MQTT.js subscriber, QoS ${qos}: binary payloads and non-ASCII topics`, async () => {
      const b = await broker();
      const base = `${fx.id("to-mqttjs")}/温度/センサー/ü/🌡`;
      const them = await fx.mqttjs(b);
      await them.subscribeAsync(`${base}/#`, { qos: 1 });
      const { client: pub } = await ours("pub");

      const cases: [string, Uint8Array | string][] = [
        [`${base}/binary`, BINARY],
        [`${base}/empty`, new Uint8Array(0)],
        [`${base}/text`, "grüße, 世界"],
        [`${base}/large`, LARGE],
      ];
      for (const [topic, payload] of cases) {
        const got = nextMqttjsMessage(them);
        // Topic given as bytes once, to check both forms reach the wire identically.
        await pub.publish(topic.endsWith("text") ? utf8.encode(topic) : topic, payload, false, qos);
        const m = await got;
        expect(m.topic).toBe(topic);
        expectSameBytes(m.payload, typeof payload === "string" ? utf8.encode(payload) : payload);
        expect(m.qos).toBe(qos);
        expect(m.retain).toBe(false);
      }
    });

    test(`MQTT.js publisher → our subscriber, QoS ${qos}: binary payloads and non-ASCII topics`, async () => {
      const b = await broker();
      const base = `${fx.id("from-mqttjs")}/Ωμέγα/日本語/ñ`;
      const { client: sub, rx } = await ours("sub");
      expect(await sub.subscribe(`${base}/+`, 1)).toBe(1);
      const them = await fx.mqttjs(b);

      const cases: [string, Uint8Array][] = [
        [`${base}/binary`, BINARY],
        [`${base}/empty`, new Uint8Array(0)],
        [`${base}/large`, LARGE],
      ];
      for (const [topic, payload] of cases) {
        await them.publishAsync(topic, Buffer.from(payload), { qos });
        const m = await rx.next();
        expect(m.topic).toBe(topic);
        // The raw topic bytes are the UTF-8 encoding, length-prefixed by bytes, not chars.
        expect(m.topicBytes).toEqual(utf8.encode(topic));
        expectSameBytes(m.payload, payload);
        expect(m).toMatchObject({ qos, retain: false, dup: false });
        expect(m.first).toBe(0x30 | (qos << 1));
      }
    });
  }

  test("retained: our retained publish reaches a later MQTT.js subscriber with retain set, and our empty publish clears it", async () => {
    const b = await broker();
    const topic = `${fx.id("ret-ours")}/ステータス`;
    const { client: pub } = await ours("ret-pub");
    await pub.publish(topic, BINARY, true, 1);

    const them = await fx.mqttjs(b);
    const got = nextMqttjsMessage(them);
    await them.subscribeAsync(topic, { qos: 1 });
    const m = await got;
    expect([m.topic, m.retain, m.qos]).toEqual([topic, true, 1]);
    expectSameBytes(m.payload, BINARY);

    // Live delivery to the existing MQTT.js subscription: RETAIN = 0.
    const live = nextMqttjsMessage(them);
    await pub.publish(topic, "", true, 1);
    expect((await live).retain).toBe(false);
    expect((await live).payload.length).toBe(0);

    const late = await fx.mqttjs(b);
    await late.subscribeAsync(topic, { qos: 1 });
    const sentinel = nextMqttjsMessage(late);
    await pub.publish(topic, "sentinel", false, 1);
    expect([(await sentinel).payload.toString(), (await sentinel).retain]).toEqual([
      "sentinel",
      false,
    ]);
  });

  test("retained: an MQTT.js retained publish reaches our later subscriber with retain in info and first byte", async () => {
    const b = await broker();
    const topic = `${fx.id("ret-theirs")}/données`;
    const them = await fx.mqttjs(b);
    await them.publishAsync(topic, Buffer.from("kept"), { qos: 1, retain: true });
    await them.publishAsync(`${topic}/q0`, Buffer.from("kept0"), { qos: 0, retain: true });
    // A QoS 1 barrier so the QoS 0 retained message is stored before we subscribe.
    await them.publishAsync(`${topic}-barrier`, Buffer.from(""), { qos: 1 });

    const { client: sub, rx } = await ours("ret-sub");
    await sub.subscribe(topic, 1);
    const m = await rx.next();
    expect([m.topic, text(m.payload), m.qos, m.retain]).toEqual([topic, "kept", 1, true]);
    expect(m.first).toBe(0x33);
    expect(m.first).toBe(firstByte(m));

    await sub.subscribe(`${topic}/q0`, 1);
    const m0 = await rx.next();
    expect([text(m0.payload), m0.qos, m0.retain, m0.first]).toEqual(["kept0", 0, true, 0x31]);

    await them.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
    await them.publishAsync(`${topic}/q0`, Buffer.alloc(0), { qos: 1, retain: true });
    const cleared = [await rx.next(), await rx.next()];
    expect(cleared.map((c) => [c.payload.length, c.retain])).toEqual([
      [0, false],
      [0, false],
    ]);
  });

  test("QoS 1 both ways at once: MQTT.js and our client exchange 200 messages each", async () => {
    const b = await broker();
    const t = fx.id("both-ways");
    const them = await fx.mqttjs(b);
    await them.subscribeAsync(`${t}/to-them`, { qos: 1 });
    const { client: c, rx } = await ours("both");
    await c.subscribe(`${t}/to-us`, 1);

    const theirs: string[] = [];
    const allTheirs = new Promise<void>((resolve) => {
      them.on("message", (_topic, payload) => {
        theirs.push(payload.toString());
        if (theirs.length === 200) resolve();
      });
    });
    const n = Array.from({ length: 200 }, (_, i) => i);
    const sending = Promise.all([
      ...n.map((i) => c.publish(`${t}/to-them`, `ours ${i}`, false, 1)),
      ...n.map((i) => them.publishAsync(`${t}/to-us`, `theirs ${i}`, { qos: 1 })),
    ]);
    const received: string[] = [];
    for (const _ of n) received.push(text((await rx.next()).payload));
    await sending;
    await allTheirs;
    expect(received).toEqual(n.map((i) => `theirs ${i}`));
    expect(theirs).toEqual(n.map((i) => `ours ${i}`));
  });
});
