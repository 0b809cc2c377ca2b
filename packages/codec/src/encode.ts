import { writeBody } from "./body.js";
import { checkQos, frame, isU16, put } from "./cursor.js";
import { encode5 } from "./encode5.js";
import { CodecErrorCode, fail } from "./errors.js";
import { type Bytes, headerFlags, type PacketInput, PacketType, type QoS } from "./packet-types.js";
import type { PacketInput5 } from "./packet-types5.js";
import { checkTopic, fieldLength } from "./topic.js";

/** PINGREQ frame, built once. Do not mutate. */
export const PINGREQ: Uint8Array = Uint8Array.of(0xc0, 0);
/** PINGRESP frame, built once. Do not mutate. */
export const PINGRESP: Uint8Array = Uint8Array.of(0xd0, 0);
/** DISCONNECT frame, built once. Do not mutate. */
export const DISCONNECT: Uint8Array = Uint8Array.of(0xe0, 0);

// The last string topic that passed checkTopic, and its UTF-8 bytes. The buffer is exactly as
// long as the topic (a hit is one set()); it is reallocated only when the length changes.
const CACHE_MAX = 256;
let lastTopic: string | undefined;
let lastTopicBytes = new Uint8Array(0);

/**
 * Encodes a PUBLISH without building a packet object: the client's hot path. Validates like
 * {@link encode}.
 *
 * @example
 * socket.write(encodePublish("t/a", "hi", 1, false, false, 1)); // 32 09 00 03 74 2f 61 00 01 68 69
 */
export function encodePublish(
  topic: Bytes,
  payload: Bytes,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  packetId?: number,
): Uint8Array {
  // Publishers repeat their topics: the last string topic seen is kept validated and encoded.
  const cached = typeof topic === "string" && topic === lastTopic;
  const tl = cached ? lastTopicBytes.length : checkTopic(topic, false);
  checkQos(qos, "qos");
  if (qos === 0) {
    // [MQTT-3.3.1-2] DUP is 0 for QoS 0; [MQTT-2.3.1-5] and there is no packet id
    if (dup) fail(CodecErrorCode.BAD_FLAGS, "dup must be false for QoS 0");
    if (packetId !== undefined) fail(CodecErrorCode.BAD_PACKET_ID, "packetId with QoS 0");
  } else if (!isU16(packetId) || packetId === 0)
    // [MQTT-2.3.1-1] a non-zero packet id
    fail(CodecErrorCode.BAD_PACKET_ID, "packetId must be 1..65535");
  const pl = fieldLength(payload, "payload", false);
  const remaining = 2 + tl + (qos === 0 ? 0 : 2) + pl;
  const out = frame(0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), remaining);
  let pos = out.length - remaining;
  out[pos++] = tl >> 8;
  out[pos++] = tl;
  if (cached) {
    out.set(lastTopicBytes, pos);
    pos += tl;
  } else {
    const start = pos;
    pos = put(out, pos, topic, tl);
    if (typeof topic === "string" && tl <= CACHE_MAX) {
      lastTopic = topic;
      if (lastTopicBytes.length !== tl) lastTopicBytes = new Uint8Array(tl);
      lastTopicBytes.set(out.subarray(start, pos));
    }
  }
  if (qos !== 0) {
    out[pos++] = (packetId as number) >> 8;
    out[pos++] = packetId as number;
  }
  put(out, pos, payload, pl);
  return out;
}

/**
 * Encodes any MQTT 3.1.1 packet (or, with `protocolVersion` 5, any MQTT 5 packet) into one
 * freshly allocated frame. Every field is checked before anything is written; an invalid packet
 * throws {@link MqttCodecError} and nothing is returned. A 3.1.1 packet with MQTT 5 fields
 * (`properties`, an AUTH) is refused.
 *
 * @example
 * encode({ type: "subscribe", packetId: 4, subscriptions: [{ topicFilter: "t/#", qos: 1 }] });
 * // 82 08 00 04 00 03 74 2f 23 01
 * encode({ type: "disconnect", reasonCode: 0x04 }, 5); // e0 01 04
 */
export function encode(packet: PacketInput, protocolVersion?: 4): Uint8Array;
export function encode(packet: PacketInput5, protocolVersion: 5): Uint8Array;
export function encode(packet: PacketInput | PacketInput5, protocolVersion: 4 | 5): Uint8Array;
export function encode(packet: PacketInput | PacketInput5, protocolVersion?: 4 | 5): Uint8Array {
  if (protocolVersion === 5) return encode5(packet as PacketInput5);
  if (protocolVersion !== undefined && protocolVersion !== 4)
    fail(CodecErrorCode.INVALID_PACKET, "protocolVersion must be 4 or 5");
  const p = packet as PacketInput;
  // `?.` also refuses null and non-objects; hasOwn refuses inherited names like "toString"
  const t: number = Object.hasOwn(PacketType, p?.type)
    ? PacketType[p.type]
    : fail(CodecErrorCode.UNKNOWN_TYPE, "unknown packet type");
  // MQTT 5 fields are never dropped silently from a 3.1.1 packet
  const q = p as {
    properties?: unknown;
    will?: { properties?: unknown };
    reasonCode?: unknown;
    reasonCodes?: unknown;
  };
  if (t === 15) fail(CodecErrorCode.UNKNOWN_TYPE, "auth needs protocolVersion 5");
  if (q.properties !== undefined || q.will?.properties !== undefined)
    fail(CodecErrorCode.BAD_PROPERTY, "properties need protocolVersion 5");
  if (q.reasonCode !== undefined || q.reasonCodes !== undefined)
    fail(CodecErrorCode.INVALID_PACKET, "reason codes need protocolVersion 5");
  if (p.type === "publish")
    return encodePublish(p.topic, p.payload, p.qos, p.retain, p.dup, p.packetId);
  return writeBody(p, t, (t << 4) | headerFlags(t));
}
