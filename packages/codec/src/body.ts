import { connect } from "./connect.js";
import {
  checkQos,
  end,
  FILTER,
  type Fields,
  field,
  id,
  pos,
  reading,
  readWith,
  u8,
  writeWith,
} from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import { NAMES, type Packet, type QoS } from "./packet-types.js";

// MQTT 3.1.1 bodies of every packet but PUBLISH, over the three-mode cursor of cursor.ts.

const { BAD_LENGTH, INVALID_PACKET } = CodecErrorCode;

/** A QoS byte: upper 6 bits 0 and QoS 0..2 [MQTT-3.8.3-4] (also encode's check). */
function qos(v: unknown): QoS {
  return checkQos(u8(v as number), "requested QoS");
}

/** A SUBACK return code: 0x00, 0x01, 0x02 or 0x80 only [MQTT-3.9.3-2]. */
function code(v: unknown): number {
  const c = u8(v as number);
  return c === 0 || c === 1 || c === 2 || c === 0x80
    ? c
    : fail(CodecErrorCode.BAD_RETURN_CODE, `SUBACK code ${c} not 0, 1, 2 or 0x80`);
}

function connack(p: Fields): Packet {
  const ack = u8(p.sessionPresent ? 1 : 0);
  const returnCode = u8(p.returnCode);
  // (3.2.2.3) return codes above 5 are reserved
  if ((returnCode & 7) !== returnCode || returnCode > 5)
    fail(CodecErrorCode.BAD_RETURN_CODE, "CONNACK returnCode must be 0..5");
  // (3.2.2.1) ack flag bits 7-1 reserved; [MQTT-3.2.2-4] session present is 0 with a refusal
  if (ack > 1 || (ack && returnCode))
    fail(CodecErrorCode.BAD_CONNACK, "bad CONNACK flags or sessionPresent with a refusal");
  return { type: "connack", sessionPresent: ack === 1, returnCode };
}

/** SUBSCRIBE (8), SUBACK (9), UNSUBSCRIBE (10): a packet id and a non-empty list. */
function list(p: Fields, t: number): Packet {
  const packetId = id(p.packetId);
  const key = t === 8 ? "subscriptions" : t === 9 ? "returnCodes" : "topicFilters";
  const items = reading ? [] : p[key];
  if (!Array.isArray(items)) fail(INVALID_PACKET, `${key} must be an array`);
  const out: unknown[] = [];
  for (let i = 0; reading ? pos < end : i < items.length; i++) {
    const it = items[i];
    out.push(
      t === 9
        ? code(it)
        : t === 10
          ? field(it, FILTER, "topic filter")
          : { topicFilter: field(it?.topicFilter, FILTER, "topic filter"), qos: qos(it?.qos) },
    );
  }
  // [MQTT-3.8.3-3] [MQTT-3.10.3-2] at least one filter (and so one SUBACK code)
  if (out.length === 0)
    fail(t === 9 ? BAD_LENGTH : CodecErrorCode.NO_FILTERS, `${key} must not be empty`);
  return { type: NAMES[t], packetId, [key]: out } as Packet;
}

/** Runs the body of packet type `t` (not PUBLISH) for fields `p`. */
function body(p: Fields, t: number): Packet {
  if (t === 1) return connect(p, 4) as Packet;
  if (t === 2) return connack(p);
  if (t > 7 && t < 11) return list(p, t);
  // PINGREQ, PINGRESP, DISCONNECT are empty; PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK carry an id
  return (t > 11 ? { type: NAMES[t] } : { type: NAMES[t], packetId: id(p.packetId) }) as Packet;
}

/** Decodes the body `[start, stop)` of a non-PUBLISH packet of type `t`. */
export function readBody(t: number, b: Uint8Array, start: number, stop: number): Packet {
  return readWith(body, t, b, start, stop);
}

/** Encodes a non-PUBLISH packet of type `t` behind fixed-header byte `first`. */
export function writeBody(p: Fields, t: number, first: number): Uint8Array {
  return writeWith(body, p, t, first);
}
