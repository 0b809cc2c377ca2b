import { describe, expect, it } from "vitest";
import { decode, encodePublish, setDup, setPacketId } from "../src/index.js";

describe("setPacketId / setDup", () => {
  it("rewrite the packet id and DUP of an encoded PUBLISH in place", () => {
    const payload = new Uint8Array(300); // a two-byte remaining length
    for (const qos of [1, 2] as const) {
      const frame = encodePublish("a/b", payload, qos, true, false, 1);
      expect(setPacketId(frame, 0xbeef)).toBe(frame);
      expect(decode(frame)).toMatchObject({ packetId: 0xbeef, dup: false, qos, retain: true });
      expect(setDup(frame, true)).toBe(frame);
      expect(decode(frame)).toMatchObject({ packetId: 0xbeef, dup: true, qos, retain: true });
      setDup(frame, false);
      expect(decode(frame)).toMatchObject({ dup: false, qos, retain: true });
    }
  });
});
