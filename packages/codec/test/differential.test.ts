// mqtt-packet (an independent implementation) as an oracle, in both directions.
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { decode, encode, type Packet } from "../src/index.js";
import { PACKET_TYPES, prng, randomPacket, toHex } from "./gen.js";
import { buf, type MP, mqttParse, td, te, u8 } from "./mqtt-packet.js";

/** Our packet → mqtt-packet's object shape. */
function toMqtt(p: Packet): MP {
  switch (p.type) {
    case "connect":
      return {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: p.cleanSession,
        clientId: p.clientId,
        keepalive: p.keepalive,
        ...(p.will && { will: { ...p.will, payload: buf(p.will.payload) } }),
        ...(p.username !== undefined && { username: p.username }),
        ...(p.password && { password: buf(p.password) }),
      };
    case "connack":
      return { cmd: "connack", sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case "publish":
      return {
        cmd: "publish",
        topic: td.decode(p.topic),
        payload: buf(p.payload),
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        ...(p.packetId !== undefined && { messageId: p.packetId }),
      };
    case "subscribe":
      return {
        cmd: "subscribe",
        messageId: p.packetId,
        subscriptions: p.subscriptions.map((s) => ({ topic: s.topicFilter, qos: s.qos })),
      };
    case "suback":
      return { cmd: "suback", messageId: p.packetId, granted: p.returnCodes };
    case "unsubscribe":
      return { cmd: "unsubscribe", messageId: p.packetId, unsubscriptions: p.topicFilters };
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return { cmd: p.type };
    default:
      return { cmd: p.type, messageId: p.packetId };
  }
}

/** mqtt-packet's parsed object → our packet shape. */
function fromMqtt(m: MP): Packet {
  switch (m.cmd) {
    case "connect": {
      const p: Packet = {
        type: "connect",
        clientId: m.clientId,
        cleanSession: m.clean,
        keepalive: m.keepalive,
      };
      if (m.will)
        p.will = {
          topic: m.will.topic,
          payload: u8(m.will.payload),
          qos: m.will.qos,
          retain: m.will.retain,
        };
      if (m.username !== undefined) p.username = m.username;
      if (m.password !== undefined) p.password = u8(m.password);
      return p;
    }
    case "connack":
      return { type: "connack", sessionPresent: m.sessionPresent, returnCode: m.returnCode };
    case "publish": {
      const p: Packet = {
        type: "publish",
        topic: te.encode(m.topic),
        payload: u8(m.payload),
        qos: m.qos,
        retain: m.retain,
        dup: m.dup,
      };
      if (m.qos > 0) p.packetId = m.messageId;
      return p;
    }
    case "subscribe":
      return {
        type: "subscribe",
        packetId: m.messageId,
        subscriptions: m.subscriptions.map((s: MP) => ({ topicFilter: s.topic, qos: s.qos })),
      };
    case "suback":
      return { type: "suback", packetId: m.messageId, returnCodes: m.granted };
    case "unsubscribe":
      return { type: "unsubscribe", packetId: m.messageId, topicFilters: m.unsubscriptions };
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return { type: m.cmd };
    default:
      return { type: m.cmd, packetId: m.messageId };
  }
}

describe("differential against mqtt-packet", () => {
  for (const type of PACKET_TYPES) {
    it(`${type}: same bytes as mqtt-packet, and each side decodes the other (300 seeded packets)`, () => {
      const r = prng(0xc0dec + type.length * 977 + type.charCodeAt(3));
      for (let i = 0; i < 300; i++) {
        const p = randomPacket(r, type);
        const ours = encode(p);
        const theirs = new Uint8Array(mqttPacket.generate(toMqtt(p)));
        expect(toHex(ours)).toBe(toHex(theirs));
        // our bytes through their parser
        const parsed = mqttParse(ours, 4);
        expect(parsed).toHaveLength(1);
        expect(fromMqtt(parsed[0])).toEqual(p);
        // their bytes through our decoder
        expect(decode(theirs)).toEqual(p);
      }
    });
  }

  it("mixed stream of 2000 packets parses identically on both sides", () => {
    const r = prng(2024);
    const packets = Array.from({ length: 2000 }, () => randomPacket(r));
    const parts = packets.map((p) => encode(p));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    expect(mqttParse(all, 4).map(fromMqtt)).toEqual(packets);
  });

  // Remaining Length boundaries: 1-byte max 127, 2-byte 128..16383, 3-byte 16384..2097151, 4-byte.
  // PUBLISH "t" at QoS 0 has Remaining Length 3 + payload.
  for (const remaining of [3, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
    it(`PUBLISH with Remaining Length ${remaining}`, () => {
      const payload = new Uint8Array(remaining - 3).fill(0x61);
      const p: Packet = {
        type: "publish",
        topic: te.encode("t"),
        payload,
        qos: 0,
        retain: false,
        dup: false,
      };
      const ours = encode(p);
      const theirs = new Uint8Array(mqttPacket.generate(toMqtt(p)));
      expect(ours.length).toBe(theirs.length);
      expect(Buffer.compare(buf(ours), buf(theirs))).toBe(0);
      const parsed = mqttParse(ours, 4);
      expect(parsed[0].length).toBe(remaining);
      expect(parsed[0].payload.length).toBe(remaining - 3);
      const back = decode(theirs);
      expect(back.type === "publish" && back.payload.length).toBe(remaining - 3);
    });
  }

  it("Remaining Length 0 (PINGREQ) both ways", () => {
    expect(toHex(encode({ type: "pingreq" }))).toBe(toHex(mqttPacket.generate({ cmd: "pingreq" })));
    expect(mqttParse(encode({ type: "pingreq" }), 4)[0].length).toBe(0);
  });
});
