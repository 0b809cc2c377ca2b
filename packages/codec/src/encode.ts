import { writeBody } from "./body.js";
import { encode5 } from "./encode5.js";
import { CodecErrorCode, fail } from "./errors.js";
import { headerFlags, type PacketInput, PacketType } from "./packet-types.js";
import type { PacketInput5 } from "./packet-types5.js";
import { encodePublish } from "./publish.js";

/** PINGREQ frame, built once. Do not mutate. */
export const PINGREQ: Uint8Array = Uint8Array.of(0xc0, 0);
/** PINGRESP frame, built once. Do not mutate. */
export const PINGRESP: Uint8Array = Uint8Array.of(0xd0, 0);
/** DISCONNECT frame, built once. Do not mutate. */
export const DISCONNECT: Uint8Array = Uint8Array.of(0xe0, 0);

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
  return writeBody(p, t, (t << 4) | headerFlags(t), false);
}
