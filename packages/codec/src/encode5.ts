import { writeBody } from "./body.js";
import { CodecErrorCode, fail } from "./errors.js";
import { headerFlags, PacketType } from "./packet-types.js";
import type { PacketInput5 } from "./packet-types5.js";
import { encodePublishV5 } from "./publish5.js";

/** Encodes any MQTT 5 packet; `encode(packet, 5)` lands here. */
export function encode5(p: PacketInput5): Uint8Array {
  // `?.` also refuses null and non-objects; hasOwn refuses inherited names like "toString"
  const t: number = Object.hasOwn(PacketType, p?.type)
    ? PacketType[p.type]
    : fail(CodecErrorCode.UNKNOWN_TYPE, "unknown packet type");
  if (p.type === "publish")
    return encodePublishV5(p.topic, p.payload, p.qos, p.retain, p.dup, p.packetId, p.properties);
  return writeBody(p, t, (t << 4) | headerFlags(t), true);
}
