import { describe, expect, test } from "vitest";
import { concat, fromHex, hex, text, utf8 } from "../src/bytes.ts";

describe("bytes helpers", () => {
  test("hex and fromHex are inverses; whitespace between pairs is optional", () => {
    expect(hex(Uint8Array.of(0x10, 0x0f, 0x00, 0xff))).toBe("10 0f 00 ff");
    expect(Array.from(fromHex("10 0f\n00ff"))).toEqual([0x10, 0x0f, 0x00, 0xff]);
    expect(hex(fromHex("c0 00"))).toBe("c0 00");
  });

  test("fromHex refuses what is not whole hex pairs", () => {
    expect(() => fromHex("1")).toThrow(RangeError);
    expect(() => fromHex("zz")).toThrow(RangeError);
  });

  test("text/utf8 round-trip non-ASCII, concat joins in order", () => {
    expect(hex(utf8.encode("°C"))).toBe("c2 b0 43");
    expect(text(Uint8Array.of(0xc2, 0xb0, 0x43))).toBe("°C");
    expect(hex(concat([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)]))).toBe(
      "01 02 03",
    );
  });
});
