// mqtt-packet 9 (protocolVersion 5, an independent implementation) as an oracle, both ways.
import { isDeepStrictEqual } from "node:util";
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { Decoder, decode, encode, type Packet5 } from "../src/index.js";
import { concat, hex, prng, toHex } from "./gen.js";
import { PACKET_TYPES5, randomPacket5 } from "./gen5.js";
import { buf, type MP, mqttParse, td, te, u8 } from "./mqtt-packet.js";

const BINARY = ["correlationData", "authenticationData"];

/** Converts binary property values with `f`; the rest (names included) is shared with mqtt-packet. */
function mapProps(props: MP, f: (b: MP) => MP): MP {
  if (props === undefined) return undefined;
  const out: MP = { ...props };
  for (const k of BINARY) if (out[k] !== undefined) out[k] = f(out[k]);
  return out;
}
const withProps = (o: MP, props: MP, f: (b: MP) => MP) =>
  props === undefined ? o : { ...o, properties: mapProps(props, f) };

/** Our packet → mqtt-packet's object shape. */
function toMqtt(p: Packet5): MP {
  switch (p.type) {
    case "connect":
      return withProps(
        {
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 5,
          clean: p.cleanSession,
          clientId: p.clientId,
          keepalive: p.keepalive,
          ...(p.will && {
            will: withProps(
              { ...p.will, payload: buf(p.will.payload), properties: undefined },
              p.will.properties,
              buf,
            ),
          }),
          ...(p.username !== undefined && { username: p.username }),
          ...(p.password && { password: buf(p.password) }),
        },
        p.properties,
        buf,
      );
    case "connack":
      return withProps(
        { cmd: "connack", sessionPresent: p.sessionPresent, reasonCode: p.reasonCode },
        p.properties,
        buf,
      );
    case "publish":
      return withProps(
        {
          cmd: "publish",
          topic: td.decode(p.topic),
          payload: buf(p.payload),
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          ...(p.packetId !== undefined && { messageId: p.packetId }),
        },
        p.properties,
        buf,
      );
    case "subscribe":
      return withProps(
        {
          cmd: "subscribe",
          messageId: p.packetId,
          subscriptions: p.subscriptions.map((s) => ({
            topic: s.topicFilter,
            qos: s.qos,
            nl: s.noLocal,
            rap: s.retainAsPublished,
            rh: s.retainHandling,
          })),
        },
        p.properties,
        buf,
      );
    case "suback":
    case "unsuback":
      return withProps(
        { cmd: p.type, messageId: p.packetId, granted: p.reasonCodes },
        p.properties,
        buf,
      );
    case "unsubscribe":
      return withProps(
        { cmd: "unsubscribe", messageId: p.packetId, unsubscriptions: p.topicFilters },
        p.properties,
        buf,
      );
    case "pingreq":
    case "pingresp":
      return { cmd: p.type };
    case "disconnect":
    case "auth":
      return withProps({ cmd: p.type, reasonCode: p.reasonCode }, p.properties, buf);
    default:
      return withProps(
        { cmd: p.type, messageId: p.packetId, reasonCode: p.reasonCode },
        p.properties,
        buf,
      );
  }
}

const props = (o: MP, m: MP) => {
  if (m.properties !== undefined) o.properties = mapProps(m.properties, u8);
  return o;
};

/** mqtt-packet's parsed object → our packet shape. */
function fromMqtt(m: MP): Packet5 {
  switch (m.cmd) {
    case "connect": {
      const p: MP = {
        type: "connect",
        clientId: m.clientId,
        cleanSession: m.clean,
        keepalive: m.keepalive,
      };
      if (m.will)
        p.will = props(
          {
            topic: m.will.topic,
            payload: u8(m.will.payload),
            qos: m.will.qos,
            retain: m.will.retain,
          },
          m.will,
        );
      if (m.username !== undefined) p.username = m.username;
      if (m.password !== undefined) p.password = u8(m.password);
      return props(p, m);
    }
    case "connack":
      return props(
        { type: "connack", sessionPresent: m.sessionPresent, reasonCode: m.reasonCode },
        m,
      );
    case "publish": {
      const p: MP = {
        type: "publish",
        topic: te.encode(m.topic),
        payload: u8(m.payload),
        qos: m.qos,
        retain: m.retain,
        dup: m.dup,
      };
      if (m.qos > 0) p.packetId = m.messageId;
      return props(p, m);
    }
    case "subscribe":
      return props(
        {
          type: "subscribe",
          packetId: m.messageId,
          subscriptions: m.subscriptions.map((s: MP) => ({
            topicFilter: s.topic,
            qos: s.qos,
            noLocal: s.nl,
            retainAsPublished: s.rap,
            retainHandling: s.rh,
          })),
        },
        m,
      );
    case "suback":
    case "unsuback":
      return props({ type: m.cmd, packetId: m.messageId, reasonCodes: m.granted }, m);
    case "unsubscribe":
      return props(
        { type: "unsubscribe", packetId: m.messageId, topicFilters: m.unsubscriptions },
        m,
      );
    case "pingreq":
    case "pingresp":
      return { type: m.cmd };
    case "disconnect":
    case "auth":
      return props({ type: m.cmd, reasonCode: m.reasonCode }, m);
    default:
      return props({ type: m.cmd, packetId: m.messageId, reasonCode: m.reasonCode }, m);
  }
}

const generate = (p: Packet5) =>
  new Uint8Array(mqttPacket.generate(toMqtt(p), { protocolVersion: 5 }));

/*
 * mqtt-packet deviations found by this test (kept visible, not bent into our codec):
 * 1. Its parser folds a repeated User Property with `if (result[name])`, so a leading empty
 *    value is lost: ("k", ""), ("k", "x") parses as { k: "x" }. `asMqttPacketSees` emulates it.
 * 2. Its generator refuses an empty client id without clean start, an MQTT 3.1.1 rule
 *    [MQTT-3.1.3-7] that MQTT 5 dropped (3.1.3.1).
 * 3. Its generator refuses a password without a user name, another 3.1.1 rule
 *    [MQTT-3.1.2-22] that MQTT 5 dropped (3.1.2.9).
 * 4. Its parser refuses the short AUTH (Remaining Length 0: reason code 0, no properties) that
 *    3.15.2.1 allows ("Invalid auth reason code").
 * 6. Its parser reads a short DISCONNECT (Remaining Length 0 or 1) or AUTH (1) past its end when
 *    more bytes follow in the same chunk: it tests the bytes buffered, not the packet's length,
 *    and always reads a Property Length. Harmless while DISCONNECT is the last packet sent.
 * 5. (Not a deviation: both forms are legal.) It always writes the reason code and property
 *    length of PUBACK..PUBCOMP, DISCONNECT and AUTH; we write the short forms (3.4.2.1).
 */
// biome-ignore lint/suspicious/noExplicitAny: walks any packet
function asMqttPacketSees(p: any): any {
  if (Array.isArray(p) || p instanceof Uint8Array || typeof p !== "object" || p === null) return p;
  const out: MP = {};
  for (const [k, v] of Object.entries(p)) {
    if (k !== "userProperties") out[k] = asMqttPacketSees(v);
    else {
      const u: MP = {};
      for (const [name, vs] of Object.entries(v as MP)) {
        let cur: MP;
        for (const x of Array.isArray(vs) ? vs : [vs]) cur = cur ? [...[cur].flat(), x] : x;
        u[name] = cur;
      }
      out[k] = u;
    }
  }
  return out;
}

/** Types whose short forms (reason code, property length omitted) mqtt-packet never writes. */
const SHORT_FORMS = new Set(["puback", "pubrec", "pubrel", "pubcomp", "disconnect", "auth"]);

describe("differential against mqtt-packet (MQTT 5)", () => {
  for (const type of PACKET_TYPES5) {
    it(`${type}: each side decodes the other's bytes to the same packet (400 seeded packets)`, () => {
      const r = prng(0x5c0dec + type.length * 977 + type.charCodeAt(1));
      let emptyUserValue = 0;
      for (let i = 0; i < 400; i++) {
        const p = randomPacket5(r, type);
        const ours = encode(p, 5);
        if (toHex(ours) === "f0 00") {
          expect(() => mqttParse(ours, 5)).toThrow(/Invalid auth reason code/);
          expect(decode(generate(p), 5)).toEqual(p);
          continue;
        }
        const parsed = mqttParse(ours, 5);
        expect(parsed).toHaveLength(1);
        const seen = asMqttPacketSees(p);
        if (!isDeepStrictEqual(seen, p)) emptyUserValue++;
        expect(fromMqtt(parsed[0])).toEqual(seen);
        if (p.type === "connect" && p.clientId === "" && !p.cleanSession) {
          expect(() => generate(p)).toThrow(/clientId must be given/);
          continue;
        }
        if (p.type === "connect" && p.password && p.username === undefined) {
          expect(() => generate(p)).toThrow(/Username is required/);
          continue;
        }
        const theirs = generate(p);
        expect(decode(theirs, 5)).toEqual(p);
        if (SHORT_FORMS.has(type)) {
          expect(ours.length).toBeLessThanOrEqual(theirs.length);
          // the same packet up to the omitted fields: re-encoding their packet gives our bytes
          expect(toHex(encode(decode(theirs, 5), 5))).toBe(toHex(ours));
        } else expect(toHex(ours)).toBe(toHex(theirs));
      }
      // deviation 1 must actually be exercised where user properties exist
      if (type !== "pingreq" && type !== "pingresp") expect(emptyUserValue).toBeGreaterThan(0);
    });
  }

  it("a mixed stream of 2,000 MQTT 5 packets parses identically on both sides", () => {
    const r = prng(2025);
    // deviations 4 and 6: the short AUTH and DISCONNECT (Remaining Length 0 or 1) stay out of
    // mqtt-packet's stream
    const packets = Array.from({ length: 2000 }, () => randomPacket5(r)).filter((p) => {
      const b = encode(p, 5);
      return !(b[0] >= 0xe0 && b[1] < 2);
    });
    const all = concat(packets.map((p) => encode(p, 5)));
    expect(mqttParse(all, 5).map(fromMqtt)).toEqual(packets.map(asMqttPacketSees));
    expect(new Decoder({ protocolVersion: 5 }).push(concat(packets.map(generateOrOurs)))).toEqual(
      packets,
    );
  });
});

/** mqtt-packet's bytes for `p`, or ours where its generator refuses an MQTT 5 packet (2, 3). */
function generateOrOurs(p: Packet5): Uint8Array {
  try {
    return generate(p);
  } catch {
    return encode(p, 5);
  }
}

it("deviation 6: mqtt-packet misreads a short DISCONNECT followed by more bytes", () => {
  expect(mqttParse(hex("e0 00"), 5)).toHaveLength(1);
  expect(() => mqttParse(hex("e0 00 c0 00"), 5)).toThrow(/Invalid disconnect reason code/);
  expect(mqttParse(hex("e0 01 9f"), 5)).toHaveLength(1);
  expect(() => mqttParse(hex("e0 01 9f c0 00"), 5)).toThrow();
  expect(new Decoder({ protocolVersion: 5 }).push(hex("e0 01 9f c0 00"))).toEqual([
    { type: "disconnect", reasonCode: 0x9f },
    { type: "pingreq" },
  ]);
  expect(new Decoder({ protocolVersion: 5 }).push(hex("e0 00 c0 00"))).toEqual([
    { type: "disconnect", reasonCode: 0 },
    { type: "pingreq" },
  ]);
});
