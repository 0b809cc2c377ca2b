import { describe, expect, it } from "vitest";
import { decodeUtf8, scanUtf8, utf8Length, writeUtf8 } from "../src/utf8.js";
import { hex } from "./gen.js";

const te = new TextEncoder();
const samples = [
  "",
  "a",
  "topic/é",
  "€uro",
  "中文/テスト",
  "😀/🚀",
  "\uFEFFbom",
  "x".repeat(300),
  "é".repeat(100),
];

describe("utf8Length", () => {
  it.each(samples)("matches TextEncoder for %j", (s) => {
    expect(utf8Length(s, true)).toBe(te.encode(s).length);
  });

  it("refuses lone surrogates [MQTT-1.5.3-1]", () => {
    expect(utf8Length("\ud800", true)).toBe(-1);
    expect(utf8Length("a\udc00b", false)).toBe(-1);
    expect(utf8Length("\ud800x", true)).toBe(-1);
  });

  it("refuses U+0000 only when strict [MQTT-1.5.3-2]", () => {
    expect(utf8Length("a\0", true)).toBe(-1);
    expect(utf8Length("a\0", false)).toBe(2);
  });
});

describe("writeUtf8", () => {
  it.each(samples)("writes the same bytes as TextEncoder for %j", (s) => {
    const n = utf8Length(s, true);
    const buf = new Uint8Array(n + 4);
    expect(writeUtf8(s, buf, 2, n)).toBe(2 + n);
    expect(buf.subarray(2, 2 + n)).toEqual(te.encode(s));
    expect(buf[0]).toBe(0);
    expect(buf[n + 3]).toBe(0);
  });
});

describe("scanUtf8", () => {
  it.each(samples)("accepts %j", (s) => {
    const b = te.encode(s);
    expect(scanUtf8(b, 0, b.length, true)).toBe(0);
  });

  it.each([
    ["ff", "invalid byte"],
    ["c0 80", "overlong U+0000"],
    ["c1 bf", "overlong"],
    ["e0 9f bf", "overlong 3-byte"],
    ["f0 8f bf bf", "overlong 4-byte"],
    ["ed a0 80", "surrogate U+D800"],
    ["ed bf bf", "surrogate U+DFFF"],
    ["f4 90 80 80", "past U+10FFFF"],
    ["f5 80 80 80", "lead F5"],
    ["80", "lone continuation"],
    ["e2 82", "truncated"],
    ["c3 28", "bad continuation"],
    ["61 00", "U+0000"],
  ])("refuses %s (%s)", (bytes) => {
    const b = hex(bytes);
    expect(scanUtf8(b, 0, b.length, false)).toBe(1);
  });

  it("reports wildcards only when asked", () => {
    const b = te.encode("a/+/#");
    expect(scanUtf8(b, 0, b.length, true)).toBe(2);
    expect(scanUtf8(b, 0, b.length, false)).toBe(0);
  });

  it("stays inside [pos, end)", () => {
    const b = hex("ff 61 62 ff");
    expect(scanUtf8(b, 1, 3, true)).toBe(0);
    expect(scanUtf8(hex("61 e2 82 ac"), 0, 3, true)).toBe(1);
  });

  it("agrees with a fatal TextDecoder on 20,000 random byte strings", () => {
    const fatal = new TextDecoder("utf-8", { fatal: true });
    let seed = 1;
    for (let k = 0; k < 20_000; k++) {
      const b = new Uint8Array(1 + (k % 6));
      for (let i = 0; i < b.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        // bias toward the interesting high range
        b[i] = seed >>> 24 < 64 ? (seed >>> 16) & 0x7f : 0x80 | ((seed >>> 16) & 0x7f);
      }
      let ok: boolean;
      try {
        ok = !fatal.decode(b).includes("\0");
      } catch {
        ok = false;
      }
      expect(scanUtf8(b, 0, b.length, false) === 0).toBe(ok);
    }
  });
});

describe("decodeUtf8", () => {
  it("keeps a leading U+FEFF [MQTT-1.5.3-3]", () => {
    expect(decodeUtf8(hex("ef bb bf 61"))).toBe("\uFEFFa");
  });
});
