// encode → decode round trips for every packet type (fast-check, fixed seed).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode, type Packet, type QoS } from "../src/index.js";

const te = new TextEncoder();
const SEED = 0x5eed;
const RUNS = 400;

// MQTT strings: any Unicode scalar except U+0000 (surrogates cannot appear in well-formed strings)
const str = fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => s.replaceAll("\0", ""));
const level = str.map((s) => s.replaceAll(/[+#/]/g, ""));
const topicName = fc
  .array(level, { minLength: 1, maxLength: 4 })
  .map((ls) => ls.join("/"))
  .filter((t) => t.length > 0);
const topicFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([ls, hash]) => [...ls, ...(hash ? ["#"] : [])].join("/"))
  .filter((t) => t.length > 0);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const pid = fc.integer({ min: 1, max: 65535 });
const bin = fc.uint8Array({ maxLength: 64 });

const connect: fc.Arbitrary<Packet> = fc
  .record({
    clientId: str,
    cleanSession: fc.boolean(),
    keepalive: fc.integer({ min: 0, max: 65535 }),
    will: fc.option(fc.record({ topic: topicName, payload: bin, qos, retain: fc.boolean() }), {
      nil: undefined,
    }),
    username: fc.option(str, { nil: undefined }),
    password: fc.option(bin, { nil: undefined }),
  })
  .map((c) => {
    const p: Packet = {
      type: "connect",
      clientId: c.clientId,
      cleanSession: c.cleanSession || c.clientId === "",
      keepalive: c.keepalive,
    };
    if (c.will) p.will = c.will;
    if (c.username !== undefined) {
      p.username = c.username;
      if (c.password) p.password = c.password;
    }
    return p;
  });

const publish: fc.Arbitrary<Packet> = fc
  .record({
    topic: topicName,
    payload: fc.uint8Array({ maxLength: 300 }),
    qos,
    retain: fc.boolean(),
    dup: fc.boolean(),
    packetId: pid,
  })
  .map((r) => {
    const p: Packet = {
      type: "publish",
      topic: te.encode(r.topic),
      payload: r.payload,
      qos: r.qos,
      retain: r.retain,
      dup: r.qos > 0 && r.dup,
    };
    if (r.qos > 0) p.packetId = r.packetId;
    return p;
  });

const arbitraries: Record<Packet["type"], fc.Arbitrary<Packet>> = {
  connect,
  connack: fc
    .integer({ min: 0, max: 5 })
    .chain((returnCode) =>
      fc
        .boolean()
        .map(
          (sp): Packet => ({ type: "connack", sessionPresent: sp && returnCode === 0, returnCode }),
        ),
    ),
  publish,
  puback: pid.map((packetId): Packet => ({ type: "puback", packetId })),
  pubrec: pid.map((packetId): Packet => ({ type: "pubrec", packetId })),
  pubrel: pid.map((packetId): Packet => ({ type: "pubrel", packetId })),
  pubcomp: pid.map((packetId): Packet => ({ type: "pubcomp", packetId })),
  unsuback: pid.map((packetId): Packet => ({ type: "unsuback", packetId })),
  subscribe: fc
    .record({
      packetId: pid,
      subscriptions: fc.array(fc.record({ topicFilter, qos }), { minLength: 1, maxLength: 5 }),
    })
    .map((r): Packet => ({ type: "subscribe", ...r })),
  suback: fc
    .record({
      packetId: pid,
      returnCodes: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 5 }),
    })
    .map((r): Packet => ({ type: "suback", ...r })),
  unsubscribe: fc
    .record({ packetId: pid, topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 5 }) })
    .map((r): Packet => ({ type: "unsubscribe", ...r })),
  pingreq: fc.constant<Packet>({ type: "pingreq" }),
  pingresp: fc.constant<Packet>({ type: "pingresp" }),
  disconnect: fc.constant<Packet>({ type: "disconnect" }),
};

describe("encode → decode round trip", () => {
  for (const [type, arb] of Object.entries(arbitraries)) {
    it(`${type}`, () => {
      fc.assert(
        fc.property(arb, (p) => {
          expect(decode(encode(p))).toEqual(p);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it("decode → encode gives back the same bytes", () => {
    fc.assert(
      fc.property(fc.oneof(...Object.values(arbitraries)), (p) => {
        const bytes = encode(p);
        expect(encode(decode(bytes))).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
