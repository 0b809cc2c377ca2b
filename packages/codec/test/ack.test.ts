import { describe, expect, it } from "vitest";
import { decode, encode, encodeAck, MqttCodecError } from "../src/index.js";

describe("encodeAck", () => {
  it.each(["puback", "pubrec", "pubrel", "pubcomp"] as const)(
    "encodes %s exactly as encode() does",
    (type) => {
      for (const pid of [1, 0x1234, 65535]) {
        expect(encodeAck(type, pid)).toEqual(encode({ type, packetId: pid }));
        expect(decode(encodeAck(type, pid))).toEqual({ type, packetId: pid });
      }
    },
  );

  it.each([0, 65536, 1.5, -1, Number.NaN])("refuses packet id %s", (pid) => {
    expect(() => encodeAck("puback", pid)).toThrow(MqttCodecError);
  });
});
