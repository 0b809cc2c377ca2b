// MQTT 5 encode → decode round trips for every packet type with any property set (fast-check).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode, type Packet5, type QoS } from "../src/index.js";
import { ALLOWED, PACKET_TYPES5, REASONS } from "./gen5.js";

const te = new TextEncoder();
const SEED = 0x5eed5;
const RUNS = 300;

// MQTT strings: any Unicode scalar except U+0000
const str = fc.string({ unit: "grapheme", maxLength: 10 }).map((s) => s.replaceAll("\0", ""));
const level = str.map((s) => s.replaceAll(/[+#/]/g, ""));
const topicName = fc
  .array(level, { minLength: 1, maxLength: 3 })
  .map((ls) => ls.join("/"))
  .filter((t) => t.length > 0);
const topicFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant("+")), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([ls, hash]) => [...ls, ...(hash ? ["#"] : [])].join("/"))
  .filter((t) => t.length > 0);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const pid = fc.integer({ min: 1, max: 65535 });
const bin = fc.uint8Array({ maxLength: 32 });
const u16 = fc.integer({ min: 0, max: 65535 });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const subId = fc.integer({ min: 1, max: 268_435_455 });
const userProperties = fc
  .array(fc.tuple(str, fc.oneof(str, fc.array(str, { minLength: 2, maxLength: 3 }))), {
    minLength: 1,
    maxLength: 4,
  })
  .map((kvs) => {
    const u: Record<string, string | string[]> = {};
    for (const [k, v] of kvs) u[k] = v;
    return u;
  });

const VALUE: Record<string, fc.Arbitrary<unknown>> = {
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: str,
  responseTopic: topicName,
  correlationData: bin,
  subscriptionIdentifier: subId,
  sessionExpiryInterval: u32,
  assignedClientIdentifier: str,
  serverKeepAlive: u16,
  authenticationMethod: str,
  authenticationData: bin,
  requestProblemInformation: fc.boolean(),
  willDelayInterval: u32,
  requestResponseInformation: fc.boolean(),
  responseInformation: str,
  serverReference: str,
  reasonString: str,
  receiveMaximum: fc.integer({ min: 1, max: 65535 }),
  topicAliasMaximum: u16,
  topicAlias: fc.integer({ min: 1, max: 65535 }),
  maximumQoS: fc.constantFrom(0, 1),
  retainAvailable: fc.boolean(),
  userProperties,
  maximumPacketSize: fc.integer({ min: 1, max: 0xffff_ffff }),
  wildcardSubscriptionAvailable: fc.boolean(),
  subscriptionIdentifiersAvailable: fc.boolean(),
  sharedSubscriptionAvailable: fc.boolean(),
};

/** Any subset of the properties `kind` allows; undefined when empty (as decode returns it). */
function properties(kind: string, extra: Record<string, fc.Arbitrary<unknown>> = {}) {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const n of ALLOWED[kind]) model[n] = VALUE[n];
  return fc
    .record({ ...model, ...extra }, { requiredKeys: [] })
    .map((p) => (Object.keys(p).length ? p : undefined));
}

/** Adds `properties` to `o` when defined. */
const withProps = <T extends object>(o: T, p: unknown): T =>
  p === undefined ? o : { ...o, properties: p };
const reason = (t: string) => fc.constantFrom(...REASONS[t]);

const ack = (t: "puback" | "pubrec" | "pubrel" | "pubcomp") =>
  fc
    .tuple(pid, reason(t), properties("ack"))
    .map(([packetId, reasonCode, p]) => withProps({ type: t, packetId, reasonCode }, p) as Packet5);

const arbitraries: Record<Packet5["type"], fc.Arbitrary<Packet5>> = {
  connect: fc
    .record({
      clientId: str,
      cleanSession: fc.boolean(),
      keepalive: u16,
      will: fc.option(
        fc
          .tuple(
            fc.record({ topic: topicName, payload: bin, qos, retain: fc.boolean() }),
            properties("will"),
          )
          .map(([w, p]) => withProps(w, p)),
        { nil: undefined },
      ),
      username: fc.option(str, { nil: undefined }),
      password: fc.option(bin, { nil: undefined }),
      properties: properties("connect"),
    })
    .map((c) => {
      const p: Record<string, unknown> = {
        type: "connect",
        clientId: c.clientId,
        cleanSession: c.cleanSession,
        keepalive: c.keepalive,
      };
      for (const k of ["will", "username", "password", "properties"] as const)
        if (c[k] !== undefined) p[k] = c[k];
      return p as unknown as Packet5;
    }),
  connack: fc
    .tuple(reason("connack"), fc.boolean(), properties("connack"))
    .map(
      ([reasonCode, sp, p]) =>
        withProps(
          { type: "connack", sessionPresent: sp && reasonCode === 0, reasonCode },
          p,
        ) as Packet5,
    ),
  publish: fc
    .record({
      topic: topicName,
      payload: fc.uint8Array({ maxLength: 200 }),
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId: pid,
      aliasOnly: fc.boolean(),
      properties: properties("publish", {
        subscriptionIdentifier: fc.oneof(subId, fc.array(subId, { minLength: 2, maxLength: 3 })),
      }),
    })
    .map((r) => {
      const alias = r.properties?.topicAlias !== undefined && r.aliasOnly;
      const p: Record<string, unknown> = {
        type: "publish",
        topic: te.encode(alias ? "" : r.topic),
        payload: r.payload,
        qos: r.qos,
        retain: r.retain,
        dup: r.qos > 0 && r.dup,
      };
      if (r.qos > 0) p.packetId = r.packetId;
      return withProps(p, r.properties) as unknown as Packet5;
    }),
  puback: ack("puback"),
  pubrec: ack("pubrec"),
  pubrel: ack("pubrel"),
  pubcomp: ack("pubcomp"),
  subscribe: fc
    .tuple(
      pid,
      fc.array(
        fc.record({
          topicFilter: fc.oneof(
            topicFilter,
            fc
              .tuple(
                level.filter((l) => l.length > 0),
                topicFilter,
              )
              .map(([g, f]) => `$share/${g}/${f}`),
          ),
          qos,
          noLocal: fc.boolean(),
          retainAsPublished: fc.boolean(),
          retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      properties("subscribe"),
    )
    .map(
      ([packetId, subs, p]) =>
        withProps(
          {
            type: "subscribe",
            packetId,
            // No Local is refused on a shared subscription [MQTT-3.8.3-4]
            subscriptions: subs.map((s) =>
              s.topicFilter.startsWith("$share/") ? { ...s, noLocal: false } : s,
            ),
          },
          p,
        ) as Packet5,
    ),
  suback: fc
    .tuple(pid, fc.array(reason("suback"), { minLength: 1, maxLength: 5 }), properties("ack"))
    .map(
      ([packetId, reasonCodes, p]) =>
        withProps({ type: "suback", packetId, reasonCodes }, p) as Packet5,
    ),
  unsubscribe: fc
    .tuple(pid, fc.array(topicFilter, { minLength: 1, maxLength: 5 }), properties("unsubscribe"))
    .map(
      ([packetId, topicFilters, p]) =>
        withProps({ type: "unsubscribe", packetId, topicFilters }, p) as Packet5,
    ),
  unsuback: fc
    .tuple(pid, fc.array(reason("unsuback"), { minLength: 1, maxLength: 5 }), properties("ack"))
    .map(
      ([packetId, reasonCodes, p]) =>
        withProps({ type: "unsuback", packetId, reasonCodes }, p) as Packet5,
    ),
  pingreq: fc.constant<Packet5>({ type: "pingreq" }),
  pingresp: fc.constant<Packet5>({ type: "pingresp" }),
  disconnect: fc
    .tuple(reason("disconnect"), properties("disconnect"))
    .map(([reasonCode, p]) => withProps({ type: "disconnect", reasonCode }, p) as Packet5),
  auth: fc
    .tuple(reason("auth"), properties("auth"))
    .map(([reasonCode, p]) => withProps({ type: "auth", reasonCode }, p) as Packet5),
};

describe("MQTT 5 encode → decode round trip", () => {
  it("covers all 15 packet types", () => {
    expect(Object.keys(arbitraries).sort()).toEqual([...PACKET_TYPES5].sort());
  });

  for (const [type, arb] of Object.entries(arbitraries)) {
    it(`${type}`, () => {
      fc.assert(
        fc.property(arb, (p) => {
          expect(decode(encode(p, 5), 5)).toEqual(p);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it("decode → encode gives back the same bytes", () => {
    fc.assert(
      fc.property(fc.oneof(...Object.values(arbitraries)), (p) => {
        const bytes = encode(p, 5);
        expect(encode(decode(bytes, 5), 5)).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
