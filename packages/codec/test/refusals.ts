// The malformed-MQTT-5 tables of body.test.ts and properties.test.ts run through these: one test
// per row, each asserting the row's error code from every way in.
import { expect, it } from "vitest";
import { Decoder, decode, encode, MqttCodecError, type PacketInput5 } from "../src/index.js";
import { hex } from "./gen.js";

/** `[rule, hex bytes, code]`: decode(bytes, 5) fails with `code`. */
export type DecodeRow = [rule: string, bytes: string, code: string];
/** `[rule, packet, code]`: encode(packet, 5) fails with `code`. */
export type EncodeRow = [rule: string, packet: PacketInput5, code: string];

/**
 * A test per decode row: `decode` throws an MqttCodecError with the row's code, and so does the
 * streaming Decoder fed the frame whole and byte by byte.
 */
export function decodeRefusals(rows: DecodeRow[]): void {
  for (const [rule, bytes, code] of rows) {
    it(`decode: ${rule} → ${code}`, () => {
      const b = hex(bytes);
      let err: unknown;
      try {
        decode(b, 5);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MqttCodecError);
      expect((err as MqttCodecError).code).toBe(code);
      expect(() => new Decoder({ protocolVersion: 5 }).push(b)).toThrow(
        expect.objectContaining({ code }),
      );
      const d = new Decoder({ protocolVersion: 5 });
      expect(() => {
        for (let i = 0; i < b.length; i++) d.push(b.subarray(i, i + 1));
      }).toThrow(expect.objectContaining({ code }));
    });
  }
}

/** A test per encode row: `encode(packet, 5)` throws with the row's code. */
export function encodeRefusals(rows: EncodeRow[]): void {
  for (const [rule, packet, code] of rows) {
    it(`encode: ${rule} → ${code}`, () => {
      expect(() => encode(packet, 5)).toThrow(expect.objectContaining({ code }));
    });
  }
}
