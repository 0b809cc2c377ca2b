/**
 * The frame reader and builders against byte vectors written by hand from the MQTT 3.1.1
 * packet layouts (and a few MQTT 5 ones), read whole, one byte at a time and in random chunks.
 */
import { describe, expect, test } from "vitest";
import { concat, fromHex, hex, text } from "../src/bytes.ts";
import {
  connack,
  disconnect,
  encodeLength,
  type Frame,
  FrameError,
  FrameReader,
  frame,
  frameOf,
  parsePacket,
  pingresp,
  puback,
  pubcomp,
  publish,
  pubrec,
  pubrel,
  suback,
  unsuback,
  type WirePacket,
} from "../src/frames.ts";
import { prng } from "../src/prng.ts";

/** [name, bytes, the record they parse to] */
const VECTORS: [string, string, WirePacket][] = [
  [
    "CONNECT cid, clean, keepalive 0",
    "10 0f 00 04 4d 51 54 54 04 02 00 00 00 03 63 69 64",
    {
      type: "connect",
      protocol: "MQTT",
      level: 4,
      connectFlags: 0x02,
      cleanSession: true,
      keepalive: 0,
      clientId: "cid",
    },
  ],
  [
    "CONNECT with a retained QoS 1 will, user and password",
    "10 21 00 04 4d 51 54 54 04 ee 00 3c 00 03 63 69 64 00 04 6c 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77",
    {
      type: "connect",
      protocol: "MQTT",
      level: 4,
      connectFlags: 0xee,
      cleanSession: true,
      keepalive: 60,
      clientId: "cid",
      will: { topic: "lw/t", payload: fromHex("62 79 65"), qos: 1, retain: true },
      username: "u",
      password: fromHex("70 77"),
    },
  ],
  [
    "CONNACK session present",
    "20 02 01 00",
    { type: "connack", sessionPresent: true, returnCode: 0 },
  ],
  ["CONNACK refused (5)", "20 02 00 05", { type: "connack", sessionPresent: false, returnCode: 5 }],
  [
    "PUBLISH QoS 0 retained",
    "31 0a 00 03 74 2f 61 68 65 6c 6c 6f",
    {
      type: "publish",
      dup: false,
      qos: 0,
      retain: true,
      topic: "t/a",
      payload: fromHex("68 65 6c 6c 6f"),
    },
  ],
  [
    "PUBLISH QoS 1 pid 1",
    "32 09 00 03 74 2f 61 00 01 68 69",
    {
      type: "publish",
      dup: false,
      qos: 1,
      retain: false,
      topic: "t/a",
      pid: 1,
      payload: fromHex("68 69"),
    },
  ],
  [
    "PUBLISH QoS 1 DUP pid 7, empty payload",
    "3a 05 00 01 74 00 07",
    {
      type: "publish",
      dup: true,
      qos: 1,
      retain: false,
      topic: "t",
      pid: 7,
      payload: new Uint8Array(0),
    },
  ],
  [
    "PUBLISH QoS 2 pid 0x1234",
    "34 06 00 01 74 12 34 6d",
    {
      type: "publish",
      dup: false,
      qos: 2,
      retain: false,
      topic: "t",
      pid: 0x1234,
      payload: fromHex("6d"),
    },
  ],
  ["PUBACK 7", "40 02 00 07", { type: "puback", pid: 7 }],
  ["PUBREC 7", "50 02 00 07", { type: "pubrec", pid: 7 }],
  ["PUBREL 7", "62 02 00 07", { type: "pubrel", pid: 7 }],
  ["PUBCOMP 0xfffe", "70 02 ff fe", { type: "pubcomp", pid: 0xfffe }],
  [
    "SUBSCRIBE t/# QoS 1",
    "82 08 00 01 00 03 74 2f 23 01",
    { type: "subscribe", pid: 1, filters: [{ filter: "t/#", qos: 1 }] },
  ],
  [
    "SUBSCRIBE two filters",
    "82 0c 00 02 00 01 61 00 00 03 62 2f 2b 01",
    {
      type: "subscribe",
      pid: 2,
      filters: [
        { filter: "a", qos: 0 },
        { filter: "b/+", qos: 1 },
      ],
    },
  ],
  ["SUBACK granted 0, refused", "90 04 00 01 00 80", { type: "suback", pid: 1, codes: [0, 0x80] }],
  [
    "UNSUBSCRIBE t/#",
    "a2 07 00 03 00 03 74 2f 23",
    { type: "unsubscribe", pid: 3, filters: [{ filter: "t/#" }] },
  ],
  ["UNSUBACK 3", "b0 02 00 03", { type: "unsuback", pid: 3 }],
  ["PINGREQ", "c0 00", { type: "pingreq" }],
  ["PINGRESP", "d0 00", { type: "pingresp" }],
  ["DISCONNECT", "e0 00", { type: "disconnect" }],
];

/** Reads `wire` in chunks of the given sizes (cycled) and parses every frame. */
function readChunked(wire: Uint8Array, sizes: () => number): WirePacket[] {
  const reader = new FrameReader();
  const out: WirePacket[] = [];
  for (let at = 0; at < wire.length; ) {
    const n = Math.max(1, Math.min(sizes(), wire.length - at));
    for (const f of reader.push(wire.subarray(at, at + n))) out.push(parsePacket(f));
    at += n;
  }
  expect(reader.pending).toBe(0);
  return out;
}

describe("parsePacket", () => {
  test.each(VECTORS)("%s", (_name, bytes, expected) => {
    const frames = new FrameReader().push(fromHex(bytes));
    expect(frames).toHaveLength(1);
    expect(parsePacket(frames[0]!)).toEqual(expected);
  });

  test("frameOf() gives the exact header byte and body a record came from", () => {
    const [f] = new FrameReader().push(fromHex("3b 06 00 01 74 00 07 6d"));
    const p = parsePacket(f!);
    expect(frameOf(p).first).toBe(0x3b);
    expect(hex(frameOf(p).body)).toBe("00 01 74 00 07 6d");
    expect(() => frameOf({ type: "pingreq" })).toThrow(FrameError);
  });

  test("a field that runs past the body is a FrameError", () => {
    // topic length 5 but one byte follows
    const [f] = new FrameReader().push(fromHex("30 03 00 05 74"));
    expect(() => parsePacket(f!)).toThrow(FrameError);
    // a PUBACK without its packet id
    expect(() => parsePacket({ first: 0x40, body: new Uint8Array(0) })).toThrow(FrameError);
  });
});

describe("FrameReader", () => {
  const wire = concat(VECTORS.map(([, bytes]) => fromHex(bytes)));
  const expected = VECTORS.map(([, , p]) => p);

  test("reads a stream of every vector in one chunk", () => {
    expect(readChunked(wire, () => wire.length)).toEqual(expected);
  });

  test("reads the same stream one byte at a time", () => {
    expect(readChunked(wire, () => 1)).toEqual(expected);
  });

  test("reads it in random chunks (seeded)", () => {
    for (const seed of [1, 2, 3, 42]) {
      const random = prng(seed);
      expect(readChunked(wire, () => 1 + Math.floor(random() * 9))).toEqual(expected);
    }
  });

  test("a two-byte remaining length (c8 01 = 200), fed byte by byte", () => {
    const payload = "x".repeat(197);
    const bytes = fromHex(`30 c8 01 00 01 74 ${"78 ".repeat(197)}`);
    const [p] = readChunked(bytes, () => 1);
    expect(p).toMatchObject({ type: "publish", topic: "t" });
    expect(text((p as { payload: Uint8Array }).payload)).toBe(payload);
  });

  test("holds an unfinished frame until the rest arrives", () => {
    const reader = new FrameReader();
    expect(reader.push(fromHex("40 02 00"))).toEqual([]);
    expect(reader.pending).toBe(3);
    const frames: Frame[] = reader.push(fromHex("07 c0"));
    expect(frames.map((f) => parsePacket(f))).toEqual([{ type: "puback", pid: 7 }]);
    expect(reader.pending).toBe(1);
  });

  test("a remaining length of five bytes is a FrameError", () => {
    expect(() => new FrameReader().push(fromHex("30 ff ff ff ff 7f"))).toThrow(FrameError);
  });
});

describe("MQTT 5 layouts (protocol level 5)", () => {
  test("CONNECT level 5 keeps its property block raw", () => {
    // Receive Maximum (0x21) = 10
    const [f] = new FrameReader().push(
      fromHex("10 11 00 04 4d 51 54 54 05 02 00 3c 03 21 00 0a 00 01 63"),
    );
    const p = parsePacket(f!);
    expect(p).toMatchObject({ type: "connect", level: 5, keepalive: 60, clientId: "c" });
    expect(hex((p as { properties: Uint8Array }).properties)).toBe("21 00 0a");
  });

  test("PUBLISH with an empty property block, PUBACK with a reason code", () => {
    const frames = new FrameReader().push(fromHex("32 07 00 01 74 00 01 00 68 40 03 00 01 10"));
    const [pub, ack] = frames.map((f) => parsePacket(f, 5));
    expect(pub).toMatchObject({ type: "publish", topic: "t", pid: 1 });
    expect(hex((pub as { payload: Uint8Array }).payload)).toBe("68");
    expect(ack).toEqual({ type: "puback", pid: 1, reasonCode: 0x10 });
  });

  test("builders write the empty property block for level 5", () => {
    expect(hex(connack(false, 0, 5))).toBe("20 03 00 00 00");
    expect(hex(suback(1, [0], 5))).toBe("90 04 00 01 00 00");
    expect(hex(unsuback(1, 5, [0]))).toBe("b0 04 00 01 00 00");
    expect(hex(publish("t", "h", { qos: 1, pid: 1, level: 5 }))).toBe("32 07 00 01 74 00 01 00 68");
  });
});

describe("builders", () => {
  test.each([
    ["connack(true)", connack(true), "20 02 01 00"],
    ["connack(false, 5)", connack(false, 5), "20 02 00 05"],
    ["publish QoS 0", publish("t/a", "hello"), "30 0a 00 03 74 2f 61 68 65 6c 6c 6f"],
    ["publish QoS 1 pid 7", publish("t", "m", { qos: 1, pid: 7 }), "32 06 00 01 74 00 07 6d"],
    [
      "publish QoS 1 DUP retained",
      publish("t", "m", { qos: 1, pid: 7, dup: true, retain: true }),
      "3b 06 00 01 74 00 07 6d",
    ],
    ["publish QoS 2", publish("t", "m", { qos: 2, pid: 2 }), "34 06 00 01 74 00 02 6d"],
    ["publish bytes", publish(Uint8Array.of(0x74), Uint8Array.of(0, 255)), "30 05 00 01 74 00 ff"],
    ["puback", puback(7), "40 02 00 07"],
    ["pubrec", pubrec(7), "50 02 00 07"],
    ["pubrel", pubrel(7), "62 02 00 07"],
    ["pubcomp", pubcomp(0x1234), "70 02 12 34"],
    ["suback", suback(1, [0, 0x80]), "90 04 00 01 00 80"],
    ["unsuback", unsuback(3), "b0 02 00 03"],
    ["pingresp", pingresp(), "d0 00"],
    ["disconnect", disconnect(), "e0 00"],
    ["frame", frame(0xc0, []), "c0 00"],
  ])("%s", (_name, bytes, expected) => {
    expect(hex(bytes)).toBe(expected);
  });

  test("a QoS 1 publish without a pid is refused", () => {
    expect(() => publish("t", "m", { qos: 1 })).toThrow(RangeError);
  });

  test("remaining length: the boundaries of spec table 2.4", () => {
    expect(encodeLength(0)).toEqual([0x00]);
    expect(encodeLength(127)).toEqual([0x7f]);
    expect(encodeLength(128)).toEqual([0x80, 0x01]);
    expect(encodeLength(16_383)).toEqual([0xff, 0x7f]);
    expect(encodeLength(16_384)).toEqual([0x80, 0x80, 0x01]);
    expect(encodeLength(2_097_151)).toEqual([0xff, 0xff, 0x7f]);
    expect(encodeLength(2_097_152)).toEqual([0x80, 0x80, 0x80, 0x01]);
    expect(encodeLength(268_435_455)).toEqual([0xff, 0xff, 0xff, 0x7f]);
    expect(() => encodeLength(268_435_456)).toThrow(RangeError);
  });

  test("what the builders write, the reader reads back", () => {
    const wire = concat([
      publish("a/b", "x", { qos: 1, pid: 9, retain: true }),
      suback(4, [1]),
      connack(true, 0),
    ]);
    expect(readChunked(wire, () => 1)).toEqual([
      {
        type: "publish",
        dup: false,
        qos: 1,
        retain: true,
        topic: "a/b",
        pid: 9,
        payload: fromHex("78"),
      },
      { type: "suback", pid: 4, codes: [1] },
      { type: "connack", sessionPresent: true, returnCode: 0 },
    ]);
  });
});
