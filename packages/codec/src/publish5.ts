import { type Fields, field, id, pos, raw, readWith, TOPIC, u16, writeWith } from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import type { Bytes, QoS } from "./packet-types.js";
import type { PublishPacket5 } from "./packet-types5.js";
import { hasProps, type PublishProperties, props } from "./properties.js";
import {
  checkPublishFlags,
  publishFirst,
  readPublishId,
  readPublishTopic,
  writePublish,
} from "./publish.js";

/*
 * Design: MQTT 5 PUBLISH both ways: publish.ts's frame with the property block between packet
 * id and payload. A PUBLISH without properties is publish.ts's frame with one 0 byte (the empty
 * block); one with properties runs the cursor's measure and write passes.
 */

/** Empty topic name: allowed in MQTT 5 when a Topic Alias stands for it (3.3.2.1). */
const empty = (t: unknown): boolean => t === "" || (t instanceof Uint8Array && t.length === 0);

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
  checkPublishFlags(qos, dup, pid);
  const first = publishFirst(qos, retain, dup);
  if (hasProps(properties))
    return writeWith(body, { topic, payload, qos, packetId: pid, properties }, 3, first);
  return writePublish(first, topic, payload, pid, 1);
}

/** Reads a PUBLISH's property block into `out`; returns it (undefined when empty). */
function readProps(out: Fields, t: number): Fields | undefined {
  const properties = props(undefined, t);
  if (properties) out.properties = properties;
  return properties;
}

/** Decodes an MQTT 5 PUBLISH body `[start, end)` with fixed-header `flags`. */
export function decodePublish5(
  flags: number,
  b: Uint8Array,
  start: number,
  end: number,
): PublishPacket5 {
  const topicEnd = readPublishTopic(flags, b, start, end, true);
  const qos = ((flags >> 1) & 3) as QoS;
  const out: Fields = {
    type: "publish",
    topic: b.subarray(start + 2, topicEnd),
    payload: b,
    qos,
    retain: (flags & 1) !== 0,
    dup: (flags & 8) !== 0,
  };
  if (qos !== 0) out.packetId = readPublishId(b, topicEnd);
  const properties = readWith(readProps, 3, b, topicEnd + (qos === 0 ? 0 : 2), end, out);
  // (3.3.2.1) an empty topic name needs a Topic Alias
  if (topicEnd === start + 2 && properties?.topicAlias === undefined)
    fail(CodecErrorCode.BAD_TOPIC, "empty topic name without a topic alias");
  out.payload = b.subarray(pos, end);
  return out as PublishPacket5;
}
