// encodePublishV5, the MQTT 5 PUBLISH hot path, against encode(packet, 5) and its own rules.
import { describe, expect, it, vi } from "vitest";
import { decode, encode, encodePublishV5, type PublishPacket5 } from "../src/index.js";
import { int, prng, toHex } from "./gen.js";
import { randomPacket5 } from "./gen5.js";

const te = new TextEncoder();

describe("encodePublishV5", () => {
  it("writes the same bytes as encode(packet, 5) for 2,000 seeded PUBLISH packets", () => {
    const r = prng(55);
    for (let i = 0; i < 2000; i++) {
      const p = randomPacket5(r, "publish") as PublishPacket5;
      // half of them as strings, as a client passes them
      const topic = int(r, 2)
        ? new TextDecoder("utf-8", { ignoreBOM: true }).decode(p.topic)
        : p.topic;
      const bytes = encodePublishV5(
        topic,
        p.payload,
        p.qos,
        p.retain,
        p.dup,
        p.packetId,
        p.properties,
      );
      expect(toHex(bytes)).toBe(toHex(encode(p, 5)));
      expect(decode(bytes, 5)).toEqual(p);
    }
  });

  it("writes an empty property block when there are no properties", () => {
    expect(toHex(encodePublishV5("t/a", "hi", 0, false, false))).toBe(
      "30 08 00 03 74 2f 61 00 68 69",
    );
    expect(toHex(encodePublishV5("t/a", "hi", 1, true, true, 9, {}))).toBe(
      "3b 0a 00 03 74 2f 61 00 09 00 68 69",
    );
    expect(toHex(encodePublishV5("t/a", "hi", 2, false, false, 9, { topicAlias: undefined }))).toBe(
      "34 0a 00 03 74 2f 61 00 09 00 68 69",
    );
  });

  it("takes an empty topic only with a Topic Alias (3.3.2.1)", () => {
    expect(toHex(encodePublishV5("", "x", 0, false, false, undefined, { topicAlias: 2 }))).toBe(
      "30 07 00 00 03 23 00 02 78",
    );
    expect(
      toHex(encodePublishV5(new Uint8Array(0), "x", 0, false, false, undefined, { topicAlias: 2 })),
    ).toBe("30 07 00 00 03 23 00 02 78");
    // a topic and an alias together set the alias (3.3.2.3.4)
    expect(toHex(encodePublishV5("t", "x", 0, false, false, undefined, { topicAlias: 2 }))).toBe(
      "30 08 00 01 74 03 23 00 02 78",
    );
    for (const props of [undefined, {}, { contentType: "a" }])
      expect(() => encodePublishV5("", "x", 0, false, false, undefined, props)).toThrow(
        expect.objectContaining({ code: "ERR_BAD_TOPIC" }),
      );
    expect(() => encodePublishV5("", "x", 0, false, false, undefined, { topicAlias: 0 })).toThrow(
      expect.objectContaining({ code: "ERR_BAD_PROPERTY" }),
    );
  });

  it("validates like encodePublish", () => {
    const c = (f: () => unknown, code: string) =>
      expect(f).toThrow(expect.objectContaining({ code }));
    c(() => encodePublishV5("a/+", "", 0, false, false), "ERR_BAD_TOPIC");
    c(() => encodePublishV5("t", "", 3 as 0, false, false), "ERR_BAD_QOS");
    c(() => encodePublishV5("t", "", 0, false, true), "ERR_BAD_FLAGS");
    c(() => encodePublishV5("t", "", 0, false, false, 1), "ERR_BAD_PACKET_ID");
    c(() => encodePublishV5("t", "", 1, false, false), "ERR_BAD_PACKET_ID");
    c(() => encodePublishV5("t", "", 1, false, false, 65_536), "ERR_BAD_PACKET_ID");
    c(() => encodePublishV5("t", 5 as never, 0, false, false), "ERR_INVALID_PACKET");
    c(
      () => encodePublishV5("t", "\ud800", 0, false, false, undefined, { topicAlias: 1 }),
      "ERR_BAD_UTF8",
    );
    c(
      () =>
        encodePublishV5("t", "", 0, false, false, undefined, { sessionExpiryInterval: 1 } as never),
      "ERR_PROPERTY_NOT_ALLOWED",
    );
  });

  it("decodes topic and payload as views into the frame", () => {
    const frame = encodePublishV5("t/a", te.encode("hello"), 1, false, false, 3, {
      contentType: "text/plain",
    });
    const p = decode(frame, 5) as PublishPacket5;
    expect(p.topic.buffer).toBe(frame.buffer);
    expect(p.payload.buffer).toBe(frame.buffer);
    expect(p.properties).toEqual({ contentType: "text/plain" });
  });

  it("its topic cache never changes what is accepted or written", async () => {
    const long = `t/${"é".repeat(200)}`; // over the 256 cached bytes
    for (const topic of ["°C/1", "°C/1", long, long, "a", "b", "a", "°C/1"]) {
      const frame = encodePublishV5(topic, "x", 0, false, false);
      expect(new TextDecoder().decode((decode(frame, 5) as PublishPacket5).topic)).toBe(topic);
      expect(frame).toEqual(
        encode(
          {
            type: "publish",
            topic: te.encode(topic),
            payload: "x",
            qos: 0,
            retain: false,
            dup: false,
          },
          5,
        ),
      );
    }
    encodePublishV5("a/b", "x", 0, false, false);
    expect(() => encodePublishV5(te.encode("a/+"), "x", 0, false, false)).toThrow(
      expect.objectContaining({ code: "ERR_BAD_TOPIC" }),
    );
    expect(() => encodePublishV5("", "x", 0, false, false)).toThrow(
      expect.objectContaining({ code: "ERR_BAD_TOPIC" }),
    );
    // nothing cached yet: a missing topic is refused, not taken for the cached one
    vi.resetModules();
    const fresh = await import("../src/publish5.js");
    expect(() =>
      fresh.encodePublishV5(undefined as unknown as string, "x", 0, false, false),
    ).toThrow(expect.objectContaining({ code: "ERR_INVALID_PACKET" }));
  });
});
