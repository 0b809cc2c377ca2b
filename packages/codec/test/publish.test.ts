// encodePublish keeps the last string topic validated and encoded: the cache must never change
// what is accepted or what is written.
import { describe, expect, it, vi } from "vitest";
import { decode, encode, encodePublish, type PublishPacket } from "../src/index.js";

const text = new TextDecoder();
const topicOf = (frame: Uint8Array): string => text.decode((decode(frame) as PublishPacket).topic);

describe("encodePublish topic cache", () => {
  it("refuses a missing topic on a fresh module (nothing cached yet)", async () => {
    vi.resetModules();
    const fresh = await import("../src/publish.js");
    let code: unknown;
    try {
      fresh.encodePublish(undefined as unknown as string, "x", 0, false, false);
    } catch (err) {
      code = (err as { code?: unknown }).code;
    }
    expect(code).toBe("ERR_INVALID_PACKET");
  });

  it("writes the same bytes for a repeated non-ASCII topic, a long one, and alternating ones", () => {
    const long = `t/${"é".repeat(200)}`; // over the 256 cached bytes
    for (const topic of ["°C/1", "°C/1", long, long, "a", "b", "a", "°C/1"]) {
      const frame = encodePublish(topic, "x", 0, false, false);
      expect(topicOf(frame)).toBe(topic);
      expect(frame).toEqual(
        encode({
          type: "publish",
          topic: new TextEncoder().encode(topic),
          payload: "x",
          qos: 0,
          retain: false,
          dup: false,
        }),
      );
    }
  });

  it("a cached topic is still refused with a wildcard once as bytes", () => {
    encodePublish("a/b", "x", 0, false, false);
    expect(() => encodePublish(new TextEncoder().encode("a/+"), "x", 0, false, false)).toThrow();
  });
});
