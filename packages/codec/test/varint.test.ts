import { describe, expect, it } from "vitest";
import { MqttCodecError } from "../src/errors.js";
import { MAX_REMAINING_LENGTH, readVarint, varintLength, writeVarint } from "../src/varint.js";
import { hex, VARINT_TABLE as table, toHex } from "./gen.js";

describe("varint", () => {
  it("the table's last row is the largest Remaining Length", () => {
    expect(table.at(-1)?.[0]).toBe(MAX_REMAINING_LENGTH);
  });

  it.each(table)("%i ⇄ %s", (n, bytes) => {
    const buf = new Uint8Array(5);
    const end = writeVarint(buf, 1, n);
    expect(toHex(buf.subarray(1, end))).toBe(bytes);
    expect(varintLength(n)).toBe(end - 1);
    const r = readVarint(hex(`30 ${bytes}`), 1, end);
    expect(r >>> 2).toBe(n);
    expect((r & 3) + 1).toBe(end - 1);
  });

  it("returns -1 until the last byte has arrived", () => {
    const b = hex("30 80 80 01");
    expect(readVarint(b, 1, 1)).toBe(-1);
    expect(readVarint(b, 1, 3)).toBe(-1);
    expect(readVarint(b, 1, 4) >>> 2).toBe(16_384);
  });

  it("accepts a non-minimal encoding (80 00 is 0 in 2 bytes)", () => {
    const r = readVarint(hex("30 80 00"), 1, 3);
    expect(r >>> 2).toBe(0);
    expect((r & 3) + 1).toBe(2);
  });

  it("throws ERR_MALFORMED_LENGTH on a 5th byte", () => {
    expect(() => readVarint(hex("30 ff ff ff ff 01"), 1, 6)).toThrow(MqttCodecError);
    expect(() => readVarint(hex("30 80 80 80 80"), 1, 5)).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
  });
});
