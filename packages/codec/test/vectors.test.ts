// umqtt's byte-exact wire vectors (reference/umqtt-behaviour.md §3.3–3.5), both directions.
import { describe, expect, it } from "vitest";
import { decode, encode, type Packet, type PacketInput } from "../src/index.js";
import { hex, toHex } from "./gen.js";

const te = new TextEncoder();
const id200 = "c".repeat(200);
const topic123 = "t".repeat(123);

// [input, expected bytes, decoded form]
const vectors: [string, PacketInput, string, Packet][] = [
  [
    'MQTTClient(b"cid","h").connect()',
    { type: "connect", clientId: "cid", cleanSession: true, keepalive: 0 },
    // 10 fixed header, 0f remaining length, 00 04 "MQTT", 04 level, 02 clean, 00 00 keepalive, 00 03 "cid"
    "10 0f 00 04 4d 51 54 54 04 02 00 00 00 03 63 69 64",
    { type: "connect", clientId: "cid", cleanSession: true, keepalive: 0 },
  ],
  [
    "connect(clean_session=False)",
    { type: "connect", clientId: "cid", cleanSession: false, keepalive: 0 },
    "10 0f 00 04 4d 51 54 54 04 00 00 00 00 03 63 69 64",
    { type: "connect", clientId: "cid", cleanSession: false, keepalive: 0 },
  ],
  [
    'user="u", password="pw", keepalive=60, will (b"lw/t", b"bye", retain, qos 1)',
    {
      type: "connect",
      clientId: "cid",
      cleanSession: true,
      keepalive: 60,
      will: { topic: "lw/t", payload: "bye", qos: 1, retain: true },
      username: "u",
      password: "pw",
    },
    // flags ee = user 80 | password 40 | will retain 20 | will qos 1 08 | will 04 | clean 02; 00 3c keepalive 60
    "10 21 00 04 4d 51 54 54 04 ee 00 3c 00 03 63 69 64 00 04 6c 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77",
    {
      type: "connect",
      clientId: "cid",
      cleanSession: true,
      keepalive: 60,
      will: { topic: "lw/t", payload: te.encode("bye"), qos: 1, retain: true },
      username: "u",
      password: te.encode("pw"),
    },
  ],
  [
    'publish(b"t/a", b"hello")',
    { type: "publish", topic: "t/a", payload: "hello", qos: 0, retain: false, dup: false },
    // 30 PUBLISH qos 0, 0a length, 00 03 "t/a", "hello"
    "30 0a 00 03 74 2f 61 68 65 6c 6c 6f",
    {
      type: "publish",
      topic: te.encode("t/a"),
      payload: te.encode("hello"),
      qos: 0,
      retain: false,
      dup: false,
    },
  ],
  [
    'publish(b"t/a", b"hello", retain=True)',
    { type: "publish", topic: "t/a", payload: "hello", qos: 0, retain: true, dup: false },
    "31 0a 00 03 74 2f 61 68 65 6c 6c 6f",
    {
      type: "publish",
      topic: te.encode("t/a"),
      payload: te.encode("hello"),
      qos: 0,
      retain: true,
      dup: false,
    },
  ],
  [
    'publish(b"t/a", b"hi", qos=1), pid 1',
    {
      type: "publish",
      topic: "t/a",
      payload: "hi",
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
    },
    // 32 PUBLISH qos 1, 09 length, 00 03 "t/a", 00 01 pid, "hi"
    "32 09 00 03 74 2f 61 00 01 68 69",
    {
      type: "publish",
      topic: te.encode("t/a"),
      payload: te.encode("hi"),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
    },
  ],
  [
    'publish(b"t", b"m", qos=2), pid 3',
    { type: "publish", topic: "t", payload: "m", qos: 2, retain: false, dup: false, packetId: 3 },
    "34 06 00 01 74 00 03 6d",
    {
      type: "publish",
      topic: te.encode("t"),
      payload: te.encode("m"),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 3,
    },
  ],
  [
    'subscribe(b"t/#", qos=1), pid 4',
    { type: "subscribe", packetId: 4, subscriptions: [{ topicFilter: "t/#", qos: 1 }] },
    // 82 SUBSCRIBE (flags 0010), 08 length, 00 04 pid, 00 03 "t/#", 01 requested qos
    "82 08 00 04 00 03 74 2f 23 01",
    { type: "subscribe", packetId: 4, subscriptions: [{ topicFilter: "t/#", qos: 1 }] },
  ],
  [
    'unsubscribe(b"t/#"), pid 6',
    { type: "unsubscribe", packetId: 6, topicFilters: ["t/#"] },
    // a2 UNSUBSCRIBE (flags 0010), 07 length, 00 06 pid, 00 03 "t/#"
    "a2 07 00 06 00 03 74 2f 23",
    { type: "unsubscribe", packetId: 6, topicFilters: ["t/#"] },
  ],
  [
    "PUBACK for incoming pid 7",
    { type: "puback", packetId: 7 },
    "40 02 00 07",
    { type: "puback", packetId: 7 },
  ],
];

describe("umqtt wire vectors", () => {
  for (const [name, input, bytes, decoded] of vectors) {
    it(`encodes ${name}`, () => {
      expect(toHex(encode(input))).toBe(bytes);
    });
    it(`decodes ${name}`, () => {
      expect(decode(hex(bytes))).toEqual(decoded);
    });
  }

  it("encodes a 200-byte client id with a 2-byte Remaining Length: 10 d4 01", () => {
    const b = encode({ type: "connect", clientId: id200, cleanSession: true, keepalive: 0 });
    // 212 = 10 + 2 + 200 → d4 01
    expect(toHex(b.subarray(0, 6))).toBe("10 d4 01 00 04 4d");
    expect(b.length).toBe(3 + 212);
    expect(decode(b)).toEqual({
      type: "connect",
      clientId: id200,
      cleanSession: true,
      keepalive: 0,
    });
  });

  it("encodes SUBSCRIBE with a 123-byte topic with a 2-byte Remaining Length: 82 80 01", () => {
    const p: Packet = {
      type: "subscribe",
      packetId: 5,
      subscriptions: [{ topicFilter: topic123, qos: 0 }],
    };
    const b = encode(p);
    // 128 = 2 + 2 + 123 + 1 → 80 01
    expect(toHex(b.subarray(0, 3))).toBe("82 80 01");
    expect(decode(b)).toEqual(p);
  });

  it("encodes UNSUBSCRIBE with a 124-byte topic with a 2-byte Remaining Length", () => {
    const p: Packet = { type: "unsubscribe", packetId: 5, topicFilters: ["u".repeat(124)] };
    const b = encode(p);
    expect(toHex(b.subarray(0, 3))).toBe("a2 80 01");
    expect(decode(b)).toEqual(p);
  });

  it("PINGREQ, PINGRESP and DISCONNECT are two bytes", () => {
    expect(toHex(encode({ type: "pingreq" }))).toBe("c0 00");
    expect(toHex(encode({ type: "pingresp" }))).toBe("d0 00");
    expect(toHex(encode({ type: "disconnect" }))).toBe("e0 00");
    expect(decode(hex("e0 00"))).toEqual({ type: "disconnect" });
  });
});
