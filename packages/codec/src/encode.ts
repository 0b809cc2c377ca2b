import { checkQos, frame, isU16, put, writeBody } from "./body.js";
import { CodecErrorCode, fail } from "./errors.js";
import { type Bytes, headerFlags, type PacketInput, PacketType, type QoS } from "./packet-types.js";
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
 * Encodes any MQTT 3.1.1 packet into one freshly allocated frame. Every field is checked before
 * anything is written; an invalid packet throws {@link MqttCodecError} and nothing is returned.
 *
 * @example
 * encode({ type: "subscribe", packetId: 4, subscriptions: [{ topicFilter: "t/#", qos: 1 }] });
 * // 82 08 00 04 00 03 74 2f 23 01
 */
export function encode(packet: PacketInput): Uint8Array {
  const p = packet;
  // `?.` also refuses null and non-objects; hasOwn refuses inherited names like "toString"
  const t: number = Object.hasOwn(PacketType, p?.type)
    ? PacketType[p.type]
    : fail(CodecErrorCode.UNKNOWN_TYPE, "unknown packet type");
  if (p.type === "publish")
    return encodePublish(p.topic, p.payload, p.qos, p.retain, p.dup, p.packetId);
  return writeBody(p, t, (t << 4) | headerFlags(t));
}
