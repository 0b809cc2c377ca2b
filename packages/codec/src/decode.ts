import { readBody } from "./body.js";
import { checkQos, short } from "./cursor.js";
import { decodeBody5 } from "./decode5.js";
import { CodecErrorCode, fail } from "./errors.js";
import { headerFlags, NAMES, type Packet, type QoS } from "./packet-types.js";
import type { Packet5 } from "./packet-types5.js";
import { scanUtf8 } from "./utf8.js";
import { readVarint } from "./varint.js";

/*
 * Design: decodeBody turns one complete frame into a Packet, reading only inside [start, end)
 * and reporting every problem as an MqttCodecError, never a TypeError or RangeError. PUBLISH,
 * the hot path, is decoded here without a cursor; its topic and payload are views, not copies.
 */

const { BAD_LENGTH, BAD_FLAGS } = CodecErrorCode;

function decodePublish(flags: number, b: Uint8Array, start: number, end: number): Packet {
  const qos = ((flags >> 1) & 3) as QoS;
  // [MQTT-3.3.1-4] QoS 3 is reserved
  checkQos(qos, "qos");
  const dup = (flags & 8) !== 0;
  // [MQTT-3.3.1-2] DUP is 0 on QoS 0
  if (dup && qos === 0) fail(BAD_FLAGS, "dup must be false for QoS 0");
  const topicEnd = start + 2 + ((b[start] << 8) | b[start + 1]);
  const payloadStart = topicEnd + (qos === 0 ? 0 : 2);
  // NaN from reading past the frame also lands here
  if (!(payloadStart <= end)) short();
  // [MQTT-4.7.3-1] non-empty; [MQTT-1.5.3-1/2] UTF-8; [MQTT-3.3.2-2] no wildcards: one pass
  const r = topicEnd === start + 2 ? 2 : scanUtf8(b, start + 2, topicEnd, true);
  if (r === 1) fail(CodecErrorCode.BAD_UTF8, "topic name is not UTF-8 without U+0000");
  if (r === 2) fail(CodecErrorCode.BAD_TOPIC, "topic name empty or with a wildcard");
  const topic = b.subarray(start + 2, topicEnd);
  const payload = b.subarray(payloadStart, end);
  const retain = (flags & 1) !== 0;
  if (qos === 0) return { type: "publish", topic, payload, qos, retain, dup };
  const packetId = (b[topicEnd] << 8) | b[topicEnd + 1];
  // [MQTT-2.3.1-1] QoS > 0 carries a non-zero packet id
  if (packetId === 0) fail(CodecErrorCode.BAD_PACKET_ID, "packetId must be 1..65535");
  return { type: "publish", topic, payload, qos, retain, dup, packetId };
}

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
