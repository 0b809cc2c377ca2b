import { describe, expect, it } from "vitest";
import { DISCONNECT, encode, encodePublish, PINGREQ, PINGRESP } from "../src/index.js";
import { toHex } from "./gen.js";

const te = new TextEncoder();

describe("encode", () => {
  it("accepts string or Uint8Array for every string, topic and payload field, with the same bytes", () => {
    const s = encode({
      type: "connect",
      clientId: "cé",
      cleanSession: true,
      keepalive: 30,
      will: { topic: "w/€", payload: "bye", qos: 2, retain: false },
      username: "üser",
      password: "pw",
    });
    const b = encode({
      type: "connect",
      clientId: te.encode("cé"),
      cleanSession: true,
      keepalive: 30,
      will: { topic: te.encode("w/€"), payload: te.encode("bye"), qos: 2, retain: false },
      username: te.encode("üser"),
      password: te.encode("pw"),
    });
    expect(toHex(s)).toBe(toHex(b));
    expect(
      toHex(
        encode({
          type: "subscribe",
          packetId: 1,
          subscriptions: [{ topicFilter: te.encode("a/+"), qos: 0 }],
        }),
      ),
    ).toBe(
      toHex(
        encode({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a/+", qos: 0 }] }),
      ),
    );
  });

  it("length-prefixes strings by UTF-8 byte length, not by character count", () => {
    // "é€😀" is 3 UTF-16 code units + 1 surrogate pair = 2 + 3 + 4 = 9 bytes
    const b = encode({
      type: "publish",
      topic: "é€😀",
      payload: "",
      qos: 0,
      retain: false,
      dup: false,
    });
    expect(toHex(b.subarray(0, 4))).toBe("30 0b 00 09");
    expect(b.subarray(4)).toEqual(te.encode("é€😀"));
  });

  it("writes long and non-ASCII strings through the same path (encodeInto)", () => {
    const topic = "x".repeat(100) + "/ü".repeat(50);
    const b = encode({
      type: "publish",
      topic,
      payload: "é".repeat(1000),
      qos: 0,
      retain: false,
      dup: false,
    });
    const tl = te.encode(topic).length;
    expect((b[3] << 8) | b[4]).toBe(tl);
    expect(b.subarray(5, 5 + tl)).toEqual(te.encode(topic));
    expect(b.subarray(5 + tl)).toEqual(te.encode("é".repeat(1000)));
  });

  it("returns exactly the frame, and frames from the shared slab never alias", () => {
    const a = encode({ type: "puback", packetId: 258 });
    const b = encode({ type: "puback", packetId: 259 });
    expect(toHex(a)).toBe("40 02 01 02");
    expect(toHex(b)).toBe("40 02 01 03");
    b.fill(0);
    expect(toHex(a)).toBe("40 02 01 02");
    const frames = Array.from({ length: 5000 }, (_, i) =>
      encode({ type: "puback", packetId: i + 1 }),
    );
    frames.forEach((f, i) => {
      expect(f.length).toBe(4);
      expect((f[2] << 8) | f[3]).toBe(i + 1);
    });
  });

  it("allocates a large frame on its own", () => {
    const b = encode({
      type: "publish",
      topic: "t",
      payload: new Uint8Array(10_000),
      qos: 0,
      retain: false,
      dup: false,
    });
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(b.length);
  });

  it("sets DUP, QoS and RETAIN bits of PUBLISH", () => {
    const b = encode({
      type: "publish",
      topic: "t",
      payload: "",
      qos: 2,
      retain: true,
      dup: true,
      packetId: 65535,
    });
    expect(toHex(b)).toBe("3d 05 00 01 74 ff ff");
  });

  it("encodes every acknowledgement with its flags (PUBREL 0010)", () => {
    expect(toHex(encode({ type: "pubrec", packetId: 1 }))).toBe("50 02 00 01");
    expect(toHex(encode({ type: "pubrel", packetId: 1 }))).toBe("62 02 00 01");
    expect(toHex(encode({ type: "pubcomp", packetId: 1 }))).toBe("70 02 00 01");
    expect(toHex(encode({ type: "unsuback", packetId: 1 }))).toBe("b0 02 00 01");
    expect(toHex(encode({ type: "connack", sessionPresent: true, returnCode: 0 }))).toBe(
      "20 02 01 00",
    );
    expect(toHex(encode({ type: "suback", packetId: 2, returnCodes: [0, 1, 2, 0x80] }))).toBe(
      "90 06 00 02 00 01 02 80",
    );
  });

  it("encodes a SUBACK with more than 125 codes behind a 2-byte length", () => {
    const b = encode({ type: "suback", packetId: 1, returnCodes: new Array(200).fill(1) });
    expect(toHex(b.subarray(0, 5))).toBe("90 ca 01 00 01");
    expect(b.length).toBe(3 + 202);
  });

  it("encodes an empty clientId with cleanSession, an empty username and an empty password", () => {
    const b = encode({
      type: "connect",
      clientId: "",
      cleanSession: true,
      keepalive: 0,
      username: "",
      password: "",
    });
    expect(toHex(b)).toBe("10 10 00 04 4d 51 54 54 04 c2 00 00 00 00 00 00 00 00");
  });

  it("allows U+0000 in a payload (binary), not in strings", () => {
    const b = encode({
      type: "publish",
      topic: "t",
      payload: "\0",
      qos: 0,
      retain: false,
      dup: false,
    });
    expect(toHex(b)).toBe("30 04 00 01 74 00");
  });
});

describe("encodePublish", () => {
  it("gives the same bytes as encode", () => {
    expect(toHex(encodePublish("t/a", "hi", 1, false, false, 1))).toBe(
      "32 09 00 03 74 2f 61 00 01 68 69",
    );
    expect(toHex(encodePublish(te.encode("t/a"), te.encode("hello"), 0, true, false))).toBe(
      "31 0a 00 03 74 2f 61 68 65 6c 6c 6f",
    );
  });

  it("validates like encode", () => {
    expect(() => encodePublish("a/#", "", 0, false, false)).toThrow(
      expect.objectContaining({ code: "ERR_BAD_TOPIC" }),
    );
    expect(() => encodePublish("a", "", 1, false, false)).toThrow(
      expect.objectContaining({ code: "ERR_BAD_PACKET_ID" }),
    );
  });
});

describe("constant frames", () => {
  it("PINGREQ, PINGRESP, DISCONNECT", () => {
    expect(toHex(PINGREQ)).toBe("c0 00");
    expect(toHex(PINGRESP)).toBe("d0 00");
    expect(toHex(DISCONNECT)).toBe("e0 00");
  });

  it("encode returns a fresh buffer, not the shared constant", () => {
    expect(encode({ type: "pingreq" })).not.toBe(PINGREQ);
  });
});
