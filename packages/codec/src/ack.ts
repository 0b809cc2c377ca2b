import { isU16 } from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";

/** First header byte of each acknowledgement that carries only a packet id. */
const FIRST = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/**
 * Encodes a PUBACK, PUBREC, PUBREL or PUBCOMP with a packet id and nothing else (the MQTT 3.1.1
 * form, which MQTT 5 reads as reason code 0 "success"): the receive hot path.
 *
 * @example
 * encodeAck("pubrel", 7); // 62 02 00 07
 */
export function encodeAck(type: keyof typeof FIRST, pid: number): Uint8Array {
  // [MQTT-2.3.1-1] a non-zero packet id
  if (!isU16(pid) || pid === 0) fail(CodecErrorCode.BAD_PACKET_ID, "packetId must be 1..65535");
  return Uint8Array.of(FIRST[type], 2, pid >> 8, pid & 0xff);
}
