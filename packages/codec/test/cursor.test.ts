// The three-mode cursor's MQTT 5 integer types, through its own read and write passes.
import { describe, expect, it } from "vitest";
import { type Fields, readWith, u32, vbi, writeWith } from "../src/cursor.js";
import { toHex, VARINT_TABLE } from "./gen.js";

const writeVbi = (v: number) => writeWith((p: Fields) => vbi(p.v, "n"), { v }, 0, 0xf0).subarray(2);
const readVbi = (b: Uint8Array) => readWith(() => vbi(0, "n"), 0, b, 0, b.length);
const writeU32 = (v: number) => writeWith((p: Fields) => u32(p.v, "n"), { v }, 0, 0xf0).subarray(2);
const readU32 = (b: Uint8Array) => readWith(() => u32(0, "n"), 0, b, 0, b.length);

describe("cursor", () => {
  it("Variable Byte Integers at every length boundary, both ways (1.5.5)", () => {
    for (const [v, h] of VARINT_TABLE) {
      expect(toHex(writeVbi(v))).toBe(h);
      expect(readVbi(writeVbi(v))).toBe(v);
    }
    for (const bad of [-1, 268_435_456, 1.5, Number.NaN])
      expect(() => writeVbi(bad)).toThrow(expect.objectContaining({ code: "ERR_INVALID_PACKET" }));
    // not the shortest form [MQTT-1.5.5-1], a 5th byte, cut short
    expect(() => readVbi(Uint8Array.of(0x80, 0x00))).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
    expect(() => readVbi(Uint8Array.of(0xff, 0x80, 0x00))).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
    expect(() => readVbi(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x01))).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
    expect(() => readVbi(Uint8Array.of(0x80))).toThrow(
      expect.objectContaining({ code: "ERR_BAD_LENGTH" }),
    );
  });

  it("Four Byte Integers, big-endian, 0..4294967295 (1.5.3)", () => {
    for (const [v, h] of [
      [0, "00 00 00 00"],
      [1, "00 00 00 01"],
      [65_536, "00 01 00 00"],
      [0xffff_ffff, "ff ff ff ff"],
      [0x8000_0000, "80 00 00 00"],
    ] as const) {
      expect(toHex(writeU32(v))).toBe(h);
      expect(readU32(writeU32(v))).toBe(v);
    }
    for (const bad of [-1, 2 ** 32, 0.5, Number.NaN])
      expect(() => writeU32(bad)).toThrow(expect.objectContaining({ code: "ERR_INVALID_PACKET" }));
    expect(() => readU32(Uint8Array.of(0, 0, 0))).toThrow(
      expect.objectContaining({ code: "ERR_BAD_LENGTH" }),
    );
  });
});
