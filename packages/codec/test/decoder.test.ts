import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { Decoder, encode, MqttCodecError, type Packet, type Packet5 } from "../src/index.js";
import { concat, hex, int, prng, randomPacket } from "./gen.js";
import { PACKET_TYPES5, randomPacket5 } from "./gen5.js";

const r = prng(7);
// 60 mixed packets of every type, small enough that splitting at every offset stays quick
const packets: Packet[] = [];
while (packets.length < 60) {
  const p = randomPacket(r);
  if (encode(p).length < 200) packets.push(p);
}
const stream = concat(packets.map((p) => encode(p)));

function feed(d: Decoder, chunks: Uint8Array[]): Packet[] {
  return chunks.flatMap((c) => d.push(c));
}

describe("Decoder", () => {
  it("refuses a maxPacketSize that would switch the limit off", () => {
    for (const bad of [Number.NaN, 0, "1000" as unknown as number]) {
      expect(() => new Decoder({ maxPacketSize: bad })).toThrow(MqttCodecError);
    }
  });

  it("decodes a whole stream pushed at once", () => {
    expect(new Decoder().push(stream)).toEqual(packets);
  });

  it("decodes the stream split at every byte position", () => {
    for (let at = 0; at <= stream.length; at++) {
      const got = feed(new Decoder(), [stream.subarray(0, at), stream.subarray(at)]);
      expect(got).toEqual(packets);
    }
  });

  it("decodes the stream pushed 1 byte at a time", () => {
    const d = new Decoder();
    const got: Packet[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(got).toEqual(packets);
  });

  it("decodes the stream under 200 random chunkings", () => {
    const rr = prng(99);
    for (let k = 0; k < 200; k++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + int(rr, 40);
        chunks.push(stream.slice(at, at + n));
        at += n;
      }
      expect(feed(new Decoder(), chunks)).toEqual(packets);
    }
  });

  it("returns PUBLISH topic and payload as views into the chunk when the packet lies in one chunk", () => {
    const chunk = encode({
      type: "publish",
      topic: "a/b",
      payload: "xyz",
      qos: 0,
      retain: false,
      dup: false,
    });
    const [p] = new Decoder().push(chunk);
    if (p.type !== "publish") throw new Error("expected publish");
    expect(p.topic.buffer).toBe(chunk.buffer);
    expect(p.payload.buffer).toBe(chunk.buffer);
    expect(p.payload.byteOffset - chunk.byteOffset).toBe(chunk.length - 3);
  });

  it("concatenates a packet spanning chunks once, into a fresh buffer", () => {
    const bytes = encode({
      type: "publish",
      topic: "a",
      payload: "0123456789",
      qos: 1,
      retain: false,
      dup: false,
      packetId: 9,
    });
    const d = new Decoder();
    expect(d.push(bytes.slice(0, 1))).toEqual([]);
    expect(d.push(bytes.slice(1, 3))).toEqual([]);
    expect(d.push(bytes.slice(3, 8))).toEqual([]);
    const [p] = d.push(bytes.slice(8));
    expect(p).toMatchObject({ type: "publish", packetId: 9, qos: 1 });
    if (p.type !== "publish") throw new Error("expected publish");
    expect(new TextDecoder().decode(p.payload)).toBe("0123456789");
  });

  it("an empty chunk completes nothing", () => {
    const d = new Decoder();
    expect(d.push(new Uint8Array(0))).toEqual([]);
    expect(d.push(hex("c0 00"))).toEqual([{ type: "pingreq" }]);
  });

  it("refuses a packet larger than maxPacketSize from its header alone", () => {
    // 5-byte header announcing 268,435,455 bytes (256 MiB - 1): nothing else is pushed
    const d = new Decoder({ maxPacketSize: 1 << 20 });
    expect(() => d.push(hex("30 ff ff ff 7f"))).toThrow(
      expect.objectContaining({ name: "MqttCodecError", code: "ERR_PACKET_TOO_LARGE" }),
    );
  });

  it("refuses an oversized header split across chunks", () => {
    const d = new Decoder({ maxPacketSize: 100 });
    expect(d.push(hex("30 ff"))).toEqual([]);
    expect(() => d.push(hex("01"))).toThrow(
      expect.objectContaining({ code: "ERR_PACKET_TOO_LARGE" }),
    );
  });

  it("maxPacketSize counts the fixed header: 100 accepts 100 bytes, refuses 101", () => {
    const mk = (n: number) =>
      encode({
        type: "publish",
        topic: "t",
        payload: new Uint8Array(n - 5),
        qos: 0,
        retain: false,
        dup: false,
      });
    expect(mk(100).length).toBe(100);
    expect(new Decoder({ maxPacketSize: 100 }).push(mk(100))).toHaveLength(1);
    expect(() => new Decoder({ maxPacketSize: 100 }).push(mk(101))).toThrow(MqttCodecError);
  });

  it("default maxPacketSize accepts the largest legal header", () => {
    // 268,435,455 + 5 bytes: the header alone is accepted and the decoder waits for the body
    expect(new Decoder().push(hex("30 ff ff ff 7f"))).toEqual([]);
  });

  it("stays failed after an error: every later push throws again", () => {
    const d = new Decoder();
    expect(() => d.push(hex("c0 01 00"))).toThrow(
      expect.objectContaining({ code: "ERR_BAD_LENGTH" }),
    );
    expect(() => d.push(hex("c0 00"))).toThrow(expect.objectContaining({ code: "ERR_BAD_LENGTH" }));
    expect(() => d.push(new Uint8Array(0))).toThrow(MqttCodecError);
  });

  it("packets before a malformed one in the same chunk are lost with the connection", () => {
    const d = new Decoder();
    expect(() => d.push(hex("c0 00 f0 00"))).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_TYPE" }),
    );
  });

  it("refuses a 5th Remaining Length byte even when it arrives alone", () => {
    const d = new Decoder();
    expect(d.push(hex("30 80 80 80"))).toEqual([]);
    expect(() => d.push(hex("80"))).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
  });
});

describe("Decoder, MQTT 5", () => {
  const r5 = prng(75);
  // 40 mixed MQTT 5 packets of every type, with properties, small enough to split everywhere
  const packets5: Packet5[] = [];
  for (const type of [...PACKET_TYPES5, ...Array(25).fill(undefined)]) {
    let p = randomPacket5(r5, type);
    while (encode(p, 5).length >= 150) p = randomPacket5(r5, type);
    packets5.push(p);
  }
  const stream5 = concat(packets5.map((p) => encode(p, 5)));
  const feed5 = (d: Decoder<5>, chunks: Uint8Array[]) => chunks.flatMap((c) => d.push(c));

  it("covers every packet type", () => {
    expect(new Set(packets5.map((p) => p.type)).size).toBe(15);
  });

  it("decodes the stream pushed at once and 1 byte at a time", () => {
    expect(new Decoder({ protocolVersion: 5 }).push(stream5)).toEqual(packets5);
    const d = new Decoder({ protocolVersion: 5 });
    const got: Packet5[] = [];
    for (let i = 0; i < stream5.length; i++) got.push(...d.push(stream5.subarray(i, i + 1)));
    expect(got).toEqual(packets5);
  });

  it("decodes the stream split at every byte position", () => {
    // compared with node's deep equality against a whole decode (vitest's toEqual is the cost)
    const whole = new Decoder({ protocolVersion: 5 }).push(stream5);
    expect(whole).toEqual(packets5);
    const bad: number[] = [];
    for (let at = 0; at <= stream5.length; at++) {
      const split = feed5(new Decoder({ protocolVersion: 5 }), [
        stream5.subarray(0, at),
        stream5.subarray(at),
      ]);
      if (!isDeepStrictEqual(split, whole)) bad.push(at);
    }
    expect(bad).toEqual([]);
  });

  it("decodes the stream under 100 random chunkings", () => {
    const rr = prng(98);
    for (let k = 0; k < 100; k++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < stream5.length; ) {
        const n = 1 + int(rr, 40);
        chunks.push(stream5.slice(at, at + n));
        at += n;
      }
      expect(feed5(new Decoder({ protocolVersion: 5 }), chunks)).toEqual(packets5);
    }
  });

  it("checks the shortest-form Remaining Length when the header is split too", () => {
    const d = new Decoder({ protocolVersion: 5 });
    expect(d.push(hex("c0 80"))).toEqual([]);
    expect(() => d.push(hex("00"))).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
    // the same bytes are a PINGREQ to a 3.1.1 decoder
    expect(new Decoder().push(hex("c0 80 00"))).toEqual([{ type: "pingreq" }]);
  });

  it("enforces maxPacketSize for MQTT 5 as for 3.1.1", () => {
    const d = new Decoder({ protocolVersion: 5, maxPacketSize: 10 });
    expect(() =>
      d.push(encode({ type: "disconnect", properties: { reasonString: "0123456789" } }, 5)),
    ).toThrow(expect.objectContaining({ code: "ERR_PACKET_TOO_LARGE" }));
  });
});
