import { describe, expect, it } from "vitest";
import {
  MqttCodecError,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from "../src/index.js";

const te = new TextEncoder();
const code = (f: () => void) => {
  try {
    f();
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(MqttCodecError);
    return (e as MqttCodecError).code;
  }
};

describe("validateTopicName", () => {
  it.each(["a", "/", "a/b", "/a/", "$SYS/x", "é/中/😀", " ", "\uFEFF", "x".repeat(65535)])(
    "accepts %j (string and bytes)",
    (t) => {
      expect(code(() => validateTopicName(t))).toBe("ok");
      expect(code(() => validateTopicName(te.encode(t)))).toBe("ok");
    },
  );

  it.each([
    ["", "ERR_BAD_TOPIC"], // [MQTT-4.7.3-1]
    ["a/+", "ERR_BAD_TOPIC"], // [MQTT-3.3.2-2]
    ["#", "ERR_BAD_TOPIC"],
    ["a#b", "ERR_BAD_TOPIC"],
    ["a\0", "ERR_BAD_UTF8"], // [MQTT-4.7.3-2]
    ["\ud800", "ERR_BAD_UTF8"],
    ["x".repeat(65536), "ERR_BAD_TOPIC"], // [MQTT-4.7.3-3]
  ])("refuses %j with %s", (t, c) => {
    expect(code(() => validateTopicName(t))).toBe(c);
  });

  it("refuses ill-formed bytes and non-strings", () => {
    expect(code(() => validateTopicName(Uint8Array.of(0x61, 0xc0, 0x80)))).toBe("ERR_BAD_UTF8");
    expect(code(() => validateTopicName(Uint8Array.of()))).toBe("ERR_BAD_TOPIC");
    expect(code(() => validateTopicName(42 as unknown as string))).toBe("ERR_INVALID_PACKET");
  });
});

describe("validateTopicFilter", () => {
  it.each(["#", "+", "+/+", "a/#", "a/+/c", "/+", "+/", "/#", "$SYS/#", "é/+/😀", "a/b"])(
    "accepts %j (string and bytes)",
    (f) => {
      expect(code(() => validateTopicFilter(f))).toBe("ok");
      expect(code(() => validateTopicFilter(te.encode(f)))).toBe("ok");
    },
  );

  it.each(["", "a#", "#/", "a/#/b", "##", "a+", "+a", "a/b+/c", "++", "#+"])("refuses %j", (f) => {
    expect(code(() => validateTopicFilter(f))).toBe("ERR_BAD_FILTER");
    if (f) expect(code(() => validateTopicFilter(te.encode(f)))).toBe("ERR_BAD_FILTER");
  });
});

describe("topicMatches", () => {
  // [filter, topic, expected] — examples of section 4.7 of the standard and edge cases
  const cases: [string, string, boolean][] = [
    ["sport/tennis/player1/#", "sport/tennis/player1", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
    ["sport/#", "sport", true],
    ["#", "anything/at/all", true],
    ["#", "/", true],
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/tennis/+", "sport/tennis/player1/ranking", false],
    ["sport/+", "sport", false],
    ["sport/+", "sport/", true],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+", "/finance", false],
    ["+", "a", true],
    ["a/b", "a/b", true],
    ["a/b", "a/B", false], // case-sensitive [MQTT-4.7.3-4]
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["a/+/c", "a/b/c", true],
    ["a/+/c", "a//c", true],
    ["a/+/c", "a/b/d", false],
    ["a/#", "a", true],
    ["a/#", "ab", false],
    ["a/#", "a/", true],
    ["+/#", "a", true],
    ["é/+", "é/中", true],
    ["é/+", "e/中", false],
    // [MQTT-4.7.2-1] wildcard-first filters do not match $-topics
    ["#", "$SYS/broker", false],
    ["+/monitor/Clients", "$SYS/monitor/Clients", false],
    ["$SYS/#", "$SYS/monitor/Clients", true],
    ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
    ["a/$x", "a/$x", true],
    ["+/$x", "a/$x", true],
  ];
  it.each(cases)("%j vs %j → %s (string and bytes topic)", (f, t, want) => {
    expect(topicMatches(f, t)).toBe(want);
    expect(topicMatches(f, te.encode(t))).toBe(want);
    // A filter given as bytes (encoded once by a dispatcher) matches the same.
    expect(topicMatches(te.encode(f), te.encode(t))).toBe(want);
    expect(topicMatches(te.encode(f), t)).toBe(want);
  });
});
