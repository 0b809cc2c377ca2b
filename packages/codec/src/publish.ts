import { checkQos, frame, isU16, put, short } from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import type { Bytes, Packet, QoS } from "./packet-types.js";
import { checkTopic, fieldLength } from "./topic.js";
import { scanUtf8 } from "./utf8.js";

/*
 * Design: PUBLISH, the hot path, by hand (no cursor) and without building a packet object to
 * encode. The flag rules, the topic, the frame of a PUBLISH without properties and the packet
 * id are the same in MQTT 3.1.1 and 5; publish5.ts adds the MQTT 5 property block around them.
 */

const { BAD_FLAGS, BAD_PACKET_ID } = CodecErrorCode;

// The last string topic that passed checkTopic, and its UTF-8 bytes: publishers repeat their
// topics. The buffer is exactly as long as the topic (a hit is one set()); it is reallocated
// only when the length changes.
const CACHE_MAX = 256;
let lastTopic: string | undefined;
let lastTopicBytes = new Uint8Array(0);

/** QoS 0..2, DUP only with QoS > 0, a packet id exactly when QoS > 0 (both versions). */
export function checkPublishFlags(qos: QoS, dup: boolean, packetId: number | undefined): void {
  checkQos(qos, "qos");
  if (qos === 0) {
    // [MQTT-3.3.1-2] DUP is 0 for QoS 0; [MQTT-2.3.1-5] and there is no packet id
    if (dup) fail(BAD_FLAGS, "dup must be false for QoS 0");
    if (packetId !== undefined) fail(BAD_PACKET_ID, "packetId with QoS 0");
  } else if (!isU16(packetId) || packetId === 0)
    // [MQTT-2.3.1-1] a non-zero packet id
    fail(BAD_PACKET_ID, "packetId must be 1..65535");
}

/**
 * The frame of a PUBLISH whose flags were checked: topic (validated, or the cached bytes), packet
 * id, `gap` zero bytes (MQTT 5: 1, the empty property block), payload.
 */
export function writePublish(
  first: number,
  topic: Bytes,
  payload: Bytes,
  packetId: number | undefined,
  gap: number,
): Uint8Array {
  const cached = typeof topic === "string" && topic === lastTopic;
  const tl = cached ? lastTopicBytes.length : checkTopic(topic, false);
  const pl = fieldLength(payload, "payload", false);
  const remaining = 2 + tl + (packetId === undefined ? 0 : 2) + gap + pl;
  const out = frame(first, remaining);
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
  if (packetId !== undefined) {
    out[pos++] = packetId >> 8;
    out[pos++] = packetId;
  }
  // the gap stays zero: frames are zeroed
  put(out, pos + gap, payload, pl);
  return out;
}

/** The first header byte of a PUBLISH. */
export const publishFirst = (qos: QoS, retain: boolean, dup: boolean): number =>
  0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);

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
  checkPublishFlags(qos, dup, packetId);
  return writePublish(publishFirst(qos, retain, dup), topic, payload, packetId, 0);
}

/**
 * Checks a received PUBLISH's flags and topic name (body `[start, end)`) and returns where the
 * topic ends. `aliasable`: an empty topic is left to the caller (MQTT 5: a Topic Alias stands
 * for it).
 */
export function readPublishTopic(
  flags: number,
  b: Uint8Array,
  start: number,
  end: number,
  aliasable: boolean,
): number {
  const qos = (flags >> 1) & 3;
  // [MQTT-3.3.1-4] QoS 3 is reserved
  checkQos(qos, "qos");
  // [MQTT-3.3.1-2] DUP is 0 on QoS 0
  if (flags & 8 && qos === 0) fail(BAD_FLAGS, "dup must be false for QoS 0");
  const topicEnd = start + 2 + ((b[start] << 8) | b[start + 1]);
  // NaN from reading past the frame also lands here
  if (!(topicEnd + (qos === 0 ? 0 : 2) <= end)) short();
  // [MQTT-4.7.3-1] non-empty; [MQTT-1.5.3-1/2] UTF-8; [MQTT-3.3.2-2] no wildcards: one pass
  const r = topicEnd > start + 2 ? scanUtf8(b, start + 2, topicEnd, true) : aliasable ? 0 : 2;
  if (r === 1) fail(CodecErrorCode.BAD_UTF8, "topic name is not UTF-8 without U+0000");
  if (r === 2)
    fail(CodecErrorCode.BAD_TOPIC, `topic name ${aliasable ? "" : "empty or "}with a wildcard`);
  return topicEnd;
}

/** The packet id of a received QoS > 0 PUBLISH, at `at`. */
export function readPublishId(b: Uint8Array, at: number): number {
  // [MQTT-2.3.1-1] QoS > 0 carries a non-zero packet id
  return (b[at] << 8) | b[at + 1] || fail(BAD_PACKET_ID, "packetId must be 1..65535");
}

/** Decodes a 3.1.1 PUBLISH body `[start, end)` with fixed-header `flags`; topic and payload are views. */
export function decodePublish(flags: number, b: Uint8Array, start: number, end: number): Packet {
  const topicEnd = readPublishTopic(flags, b, start, end, false);
  const qos = ((flags >> 1) & 3) as QoS;
  const topic = b.subarray(start + 2, topicEnd);
  const retain = (flags & 1) !== 0;
  const dup = (flags & 8) !== 0;
  if (qos === 0)
    return { type: "publish", topic, payload: b.subarray(topicEnd, end), qos, retain, dup };
  const packetId = readPublishId(b, topicEnd);
  return {
    type: "publish",
    topic,
    payload: b.subarray(topicEnd + 2, end),
    qos,
    retain,
    dup,
    packetId,
  };
}
