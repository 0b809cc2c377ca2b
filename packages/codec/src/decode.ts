import { readBody } from "./body.js";
import { decodeBody5 } from "./decode5.js";
import { CodecErrorCode, fail } from "./errors.js";
import { headerFlags, NAMES, type Packet } from "./packet-types.js";
import type { Packet5 } from "./packet-types5.js";
import { decodePublish } from "./publish.js";
import { readVarint } from "./varint.js";

/*
 * Design: decodeBody turns one complete frame into a Packet, reading only inside [start, end)
 * and reporting every problem as an MqttCodecError, never a TypeError or RangeError. PUBLISH,
 * the hot path, is decoded by publish.ts without a cursor; its topic and payload are views.
 */

const { BAD_LENGTH, BAD_FLAGS } = CodecErrorCode;

/**
 * Decodes the body `[start, end)` of one frame whose first header byte is `first`.
 * Internal: {@link decode} and {@link Decoder} call it after framing.
 */
export function decodeBody(first: number, b: Uint8Array, start: number, end: number): Packet {
  const t = first >> 4;
  const flags = first & 15;
  if (t === 3) return decodePublish(flags, b, start, end);
  if (t === 0 || t === 15) fail(CodecErrorCode.UNKNOWN_TYPE, `reserved packet type ${t}`);
  if (flags !== headerFlags(t)) fail(BAD_FLAGS, `invalid fixed-header flags for ${NAMES[t]}`);
  return readBody(t, b, start, end);
}

/**
 * Decodes exactly one whole packet, MQTT 3.1.1 unless `protocolVersion` is 5; throws
 * {@link MqttCodecError} when `bytes` holds less or more than one packet, or the packet is
 * malformed. PUBLISH topic and payload are views into `bytes`.
 *
 * @example
 * decode(Uint8Array.of(0x40, 0x02, 0x00, 0x07)); // { type: "puback", packetId: 7 }
 * decode(Uint8Array.of(0x40, 0x03, 0x00, 0x07, 0x10), 5);
 * // { type: "puback", packetId: 7, reasonCode: 16 }
 */
export function decode(bytes: Uint8Array, protocolVersion?: 4): Packet;
export function decode(bytes: Uint8Array, protocolVersion: 5): Packet5;
export function decode(bytes: Uint8Array, protocolVersion: 4 | 5): Packet | Packet5;
export function decode(bytes: Uint8Array, protocolVersion?: 4 | 5): Packet | Packet5 {
  const len = bytes.length;
  const h = readVarint(bytes, 1, len);
  if (h < 0 || 2 + (h & 3) + (h >>> 2) !== len) fail(BAD_LENGTH, "not exactly one packet");
  if (protocolVersion === 5) return decodeBody5(bytes[0], bytes, 2 + (h & 3), len, h & 3);
  if (protocolVersion !== undefined && protocolVersion !== 4)
    fail(CodecErrorCode.INVALID_PACKET, "protocolVersion must be 4 or 5");
  return decodeBody(bytes[0], bytes, 2 + (h & 3), len);
}
