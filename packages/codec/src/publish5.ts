import {
  checkQos,
  type Fields,
  field,
  frame,
  id,
  isU16,
  pos,
  put,
  raw,
  readPart,
  short,
  TOPIC,
  u16,
  writeWith,
} from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import type { Bytes, QoS } from "./packet-types.js";
import type { PublishPacket5 } from "./packet-types5.js";
import { hasProps, type PublishProperties, props } from "./properties.js";
import { checkTopic, fieldLength } from "./topic.js";
import { scanUtf8 } from "./utf8.js";

/*
 * Design: MQTT 5 PUBLISH both ways, by hand like 3.1.1's hot path: topic, packet id, property
 * block, payload. A PUBLISH without properties is written directly (one 0 byte for the empty
 * block); one with properties runs the cursor's measure and write passes.
 */

const { BAD_FLAGS, BAD_PACKET_ID, BAD_TOPIC } = CodecErrorCode;

/** Empty topic name: allowed in MQTT 5 when a Topic Alias stands for it (3.3.2.1). */
const empty = (t: unknown): boolean => t === "" || (t instanceof Uint8Array && t.length === 0);

// As encodePublish does: the last string topic that passed checkTopic and its UTF-8 bytes (an
// exact-length buffer, reallocated only when the length changes). Publishers repeat topics.
const CACHE_MAX = 256;
let lastTopic: string | undefined;
let lastTopicBytes = new Uint8Array(0);

/** The body of a PUBLISH with properties, measured then written (never read). */
function body(p: Fields): undefined {
  const pr = p.properties;
  if (empty(p.topic) && pr?.topicAlias !== undefined) u16(0, "topic");
  else field(p.topic, TOPIC, "topic name");
  if (p.qos) id(p.packetId);
  props(pr, 3);
  raw(p.payload, "payload");
}

/**
 * Encodes an MQTT 5 PUBLISH without building a packet object: the client's hot path. Validates
 * like `encode(packet, 5)`; `topic` may be empty when `properties.topicAlias` is set.
 *
 * @example
 * encodePublishV5("t", "hi", 1, false, false, 1, { topicAlias: 3 });
 * // 32 0b 00 01 74 00 01 03 23 00 03 68 69
 */
export function encodePublishV5(
  topic: Bytes,
  payload: Bytes,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  pid?: number,
  properties?: PublishProperties,
): Uint8Array {
  checkQos(qos, "qos");
  if (qos === 0) {
    // [MQTT-3.3.1-2] DUP is 0 for QoS 0; [MQTT-2.2.1-2] and there is no packet id
    if (dup) fail(BAD_FLAGS, "dup must be false for QoS 0");
    if (pid !== undefined) fail(BAD_PACKET_ID, "packetId with QoS 0");
  } else if (!isU16(pid) || pid === 0) fail(BAD_PACKET_ID, "packetId must be 1..65535");
  const first = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  if (hasProps(properties))
    return writeWith(body, { topic, payload, qos, packetId: pid, properties }, 3, first);
  const cached = typeof topic === "string" && topic === lastTopic;
  const tl = cached ? lastTopicBytes.length : checkTopic(topic, false);
  const pl = fieldLength(payload, "payload", false);
  const remaining = 3 + tl + (qos === 0 ? 0 : 2) + pl;
  const out = frame(first, remaining);
  let at = out.length - remaining;
  out[at++] = tl >> 8;
  out[at++] = tl;
  if (cached) {
    out.set(lastTopicBytes, at);
    at += tl;
  } else {
    const start = at;
    at = put(out, at, topic, tl);
    if (typeof topic === "string" && tl <= CACHE_MAX) {
      lastTopic = topic;
      if (lastTopicBytes.length !== tl) lastTopicBytes = new Uint8Array(tl);
      lastTopicBytes.set(out.subarray(start, at));
    }
  }
  if (qos !== 0) {
    out[at++] = (pid as number) >> 8;
    out[at++] = pid as number;
  }
  // out[at] is the empty property block's length, 0 (frames are zeroed)
  put(out, at + 1, payload, pl);
  return out;
}

const readProps = (_: undefined, t: number) => props(undefined, t);

/** Decodes an MQTT 5 PUBLISH body `[start, end)` with fixed-header `flags`. */
export function decodePublish5(
  flags: number,
  b: Uint8Array,
  start: number,
  end: number,
): PublishPacket5 {
  const qos = ((flags >> 1) & 3) as QoS;
  // [MQTT-3.3.1-4] QoS 3 is malformed
  checkQos(qos, "qos");
  const dup = (flags & 8) !== 0;
  // [MQTT-3.3.1-2] DUP is 0 on QoS 0
  if (dup && qos === 0) fail(BAD_FLAGS, "dup must be false for QoS 0");
  const topicEnd = start + 2 + ((b[start] << 8) | b[start + 1]);
  const idEnd = topicEnd + (qos === 0 ? 0 : 2);
  // NaN from reading past the frame also lands here
  if (!(idEnd <= end)) short();
  // [MQTT-1.5.4-1/2] UTF-8 without U+0000; [MQTT-3.3.2-2] no wildcards: one pass
  const r = topicEnd === start + 2 ? 0 : scanUtf8(b, start + 2, topicEnd, true);
  if (r === 1) fail(CodecErrorCode.BAD_UTF8, "topic name is not UTF-8 without U+0000");
  if (r === 2) fail(BAD_TOPIC, "topic name with a wildcard");
  const out: Fields = {
    type: "publish",
    topic: b.subarray(start + 2, topicEnd),
    payload: b,
    qos,
    retain: (flags & 1) !== 0,
    dup,
  };
  if (qos !== 0) {
    // [MQTT-2.2.1-3] QoS > 0 carries a non-zero packet id
    out.packetId =
      (b[topicEnd] << 8) | b[topicEnd + 1] || fail(BAD_PACKET_ID, "packetId must be 1..65535");
  }
  const properties = readPart(readProps, 3, b, idEnd, end);
  // (3.3.2.1) an empty topic name needs a Topic Alias
  if (topicEnd === start + 2 && properties?.topicAlias === undefined)
    fail(BAD_TOPIC, "empty topic name without a topic alias");
  if (properties) out.properties = properties;
  out.payload = b.subarray(pos, end);
  return out as PublishPacket5;
}
