import { describe, expect, it } from "vitest";
import { decode, encode } from "../src/index.js";
import { hex } from "./gen.js";

const te = new TextEncoder();

describe("decode", () => {
  it("returns exactly the fields of the Packet type: no packetId on QoS 0 PUBLISH", () => {
    const p = decode(hex("30 05 00 01 74 68 69"));
    expect(Object.keys(p).sort()).toEqual(["dup", "payload", "qos", "retain", "topic", "type"]);
    const q = decode(hex("32 07 00 01 74 00 09 68 69"));
    expect(Object.keys(q).sort()).toEqual([
      "dup",
      "packetId",
      "payload",
      "qos",
      "retain",
      "topic",
      "type",
    ]);
  });

  it("omits will, username and password from CONNECT when absent", () => {
    const p = decode(hex("10 0f 00 04 4d 51 54 54 04 02 00 00 00 03 63 69 64"));
    expect(Object.keys(p).sort()).toEqual(["cleanSession", "clientId", "keepalive", "type"]);
  });

  it("returns PUBLISH topic and payload as views into the input", () => {
    const bytes = hex("30 06 00 02 61 62 63 64");
    const p = decode(bytes);
    if (p.type !== "publish") throw new Error("expected publish");
    expect(p.topic).toEqual(te.encode("ab"));
    expect(p.payload).toEqual(te.encode("cd"));
    expect(p.topic.buffer).toBe(bytes.buffer);
    expect(p.payload.byteOffset).toBe(6);
    bytes[7] = 0x7a; // the view sees the change: zero copy
    expect(p.payload[1]).toBe(0x7a);
  });

  it("decodes a PUBLISH whose payload is empty", () => {
    expect(decode(hex("30 03 00 01 74"))).toMatchObject({
      type: "publish",
      payload: new Uint8Array(0),
    });
  });

  it("keeps U+FEFF in strings [MQTT-1.5.3-3]", () => {
    const b = encode({ type: "unsubscribe", packetId: 1, topicFilters: ["\uFEFFa"] });
    expect(decode(b)).toEqual({ type: "unsubscribe", packetId: 1, topicFilters: ["\uFEFFa"] });
  });

  it("decodes strings as JS strings and password as bytes", () => {
    const b = encode({
      type: "connect",
      clientId: "é",
      cleanSession: false,
      keepalive: 1,
      username: "u",
      password: "p",
    });
    const p = decode(b);
    expect(p).toEqual({
      type: "connect",
      clientId: "é",
      cleanSession: false,
      keepalive: 1,
      username: "u",
      password: te.encode("p"),
    });
  });

  it("accepts a non-minimal Remaining Length (80 00 is 0)", () => {
    expect(decode(hex("c0 80 00"))).toEqual({ type: "pingreq" });
  });

  it("decodes a PUBLISH inside a larger buffer (subarray input)", () => {
    const big = hex("ff ff 30 03 00 01 74 ff");
    expect(decode(big.subarray(2, 7))).toMatchObject({ type: "publish", topic: te.encode("t") });
  });
});
