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
import type { Packet5 } from "./packet-types5.js";
import { hasProps, props } from "./properties.js";
import { checkReason } from "./reason-codes.js";
import { isShared } from "./shared.js";

// The bodies of every packet but PUBLISH, MQTT 3.1.1 and MQTT 5.0, over the three-mode cursor
// of cursor.ts: one function a version, which reads, measures or writes.

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

/**
 * The non-empty list `key` of a SUBSCRIBE (8), SUBACK (9), UNSUBSCRIBE (10) or UNSUBACK (11),
 * each entry read, measured or written by `entry(item, t)`.
 */
function entries(
  p: Fields,
  key: string,
  t: number,
  entry: (it: Fields[string], t: number) => unknown,
): unknown[] {
  const items = reading ? [] : p[key];
  if (!Array.isArray(items)) fail(INVALID_PACKET, `${key} must be an array`);
  const out: unknown[] = [];
  for (let i = 0; reading ? pos < end : i < items.length; i++) out.push(entry(items[i], t));
  // [MQTT-3.8.3-3] [MQTT-3.10.3-2] at least one filter (and so one SUBACK/UNSUBACK code)
  if (out.length === 0)
    fail(t & 1 ? BAD_LENGTH : CodecErrorCode.NO_FILTERS, `${key} must not be empty`);
  return out;
}

/** A 3.1.1 list entry: a SUBACK code, an UNSUBSCRIBE filter, a SUBSCRIBE filter with its QoS. */
function entry(it: Fields[string], t: number): unknown {
  return t === 9
    ? code(it)
    : t === 10
      ? field(it, FILTER, "topic filter")
      : { topicFilter: field(it?.topicFilter, FILTER, "topic filter"), qos: qos(it?.qos) };
}

/** SUBSCRIBE (8), SUBACK (9), UNSUBSCRIBE (10): a packet id and a non-empty list. */
function list(p: Fields, t: number): Packet {
  const packetId = id(p.packetId);
  const key = t === 8 ? "subscriptions" : t === 9 ? "returnCodes" : "topicFilters";
  return { type: NAMES[t], packetId, [key]: entries(p, key, t, entry) } as Packet;
}

/** Runs the body of packet type `t` (not PUBLISH) for fields `p`. */
function body(p: Fields, t: number): Packet {
  if (t === 1) return connect(p, 4) as Packet;
  if (t === 2) return connack(p);
  if (t > 7 && t < 11) return list(p, t);
  // PINGREQ, PINGRESP, DISCONNECT are empty; PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK carry an id
  return (t > 11 ? { type: NAMES[t] } : { type: NAMES[t], packetId: id(p.packetId) }) as Packet;
}

// ---- MQTT 5.0

/** Sets `out.properties` to the block read, measured or written for `p` in packet `kind`. */
function withProps(out: Fields, p: unknown, kind: number): void {
  const q = props(p, kind);
  if (q) out.properties = q;
}

function connack5(p: Fields): Fields {
  const ack = u8(p.sessionPresent ? 1 : 0);
  const reasonCode = checkReason(2, u8(p.reasonCode));
  // (3.2.2.1.1) ack flag bits 7-1 reserved; [MQTT-3.2.2-6] session present is 0 with a refusal
  if (ack > 1 || (ack && reasonCode))
    fail(CodecErrorCode.BAD_CONNACK, "bad CONNACK flags or sessionPresent with a refusal");
  const out: Fields = { type: "connack", sessionPresent: ack === 1, reasonCode };
  withProps(out, p.properties, 2);
  return out;
}

/** One subscription with its options byte (3.8.3.1). */
function subscription(s: Fields): Fields {
  const topicFilter = field(s?.topicFilter, FILTER, "topic filter");
  const rh = s?.retainHandling ?? 0;
  if (!reading)
    for (const k of ["noLocal", "retainAsPublished"])
      if (s[k] !== undefined && typeof s[k] !== "boolean")
        fail(INVALID_PACKET, `${k} must be a boolean`);
  const o = u8(
    reading
      ? 0
      : checkQos(s.qos, "requested QoS") |
          (s.noLocal ? 4 : 0) |
          (s.retainAsPublished ? 8 : 0) |
          (rh === 0 || rh === 1 || rh === 2 ? rh << 4 : 0x30),
  );
  const qos = checkQos(o & 3, "requested QoS");
  // [MQTT-3.8.3-5] reserved bits 0; (3.8.3.1) Retain Handling 3 is a protocol error
  if (o > 0x2f)
    fail(CodecErrorCode.BAD_SUBSCRIBE_OPTIONS, "reserved option bits or Retain Handling 3");
  const noLocal = (o & 4) !== 0;
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
  if (isShared(topicFilter) && noLocal)
    fail(CodecErrorCode.BAD_SUBSCRIBE_OPTIONS, "noLocal on a shared subscription");
  return {
    topicFilter,
    qos,
    noLocal,
    retainAsPublished: (o & 8) !== 0,
    retainHandling: o >> 4,
  };
}

/** An MQTT 5 list entry: a subscription with options, a filter, a SUBACK/UNSUBACK reason code. */
function entry5(it: Fields[string], t: number): unknown {
  if (t === 8) return subscription(it);
  if (t !== 10) return checkReason(t, u8(it));
  const f = field(it, FILTER, "topic filter");
  isShared(f);
  return f;
}

/** SUBSCRIBE (8), SUBACK (9), UNSUBSCRIBE (10), UNSUBACK (11): id, properties, a non-empty list. */
function list5(p: Fields, t: number): Fields {
  const out: Fields = { type: NAMES[t], packetId: id(p.packetId) };
  withProps(out, p.properties, t);
  const key = t === 8 ? "subscriptions" : t === 10 ? "topicFilters" : "reasonCodes";
  out[key] = entries(p, key, t, entry5);
  return out;
}

/**
 * PUBACK..PUBCOMP (an id first), DISCONNECT and AUTH: a reason code and properties, both
 * omitted when 0 and empty (3.4.2.1, 3.14.2.1, 3.15.2.1).
 */
function reasoned(p: Fields, t: number): Fields {
  const out: Fields = t < 8 ? { type: NAMES[t], packetId: id(p.packetId) } : { type: NAMES[t] };
  const rc = p.reasonCode === undefined ? 0 : p.reasonCode;
  const more = hasProps(p.properties);
  out.reasonCode = (reading ? pos < end : rc !== 0 || more)
    ? checkReason(t, u8(rc))
    : checkReason(t, rc);
  if (reading ? pos < end : more) withProps(out, p.properties, t);
  return out;
}

/** Runs the MQTT 5 body of packet type `t` (not PUBLISH) for fields `p`. */
function body5(p: Fields, t: number): Packet5 {
  return (
    t === 1
      ? connect(p, 5)
      : t === 2
        ? connack5(p)
        : t > 7 && t < 12
          ? list5(p, t)
          : t === 12 || t === 13
            ? { type: NAMES[t] }
            : reasoned(p, t)
  ) as Packet5;
}

/** Decodes the body `[start, stop)` of a non-PUBLISH packet of type `t`. */
export function readBody(t: number, b: Uint8Array, start: number, stop: number): Packet {
  return readWith(body, t, b, start, stop);
}

/** Decodes the MQTT 5 body `[start, stop)` of a non-PUBLISH packet of type `t`. */
export function readBody5(t: number, b: Uint8Array, start: number, stop: number): Packet5 {
  return readWith(body5, t, b, start, stop);
}

/** Encodes a non-PUBLISH packet of type `t` (MQTT 5 when `v5`) behind fixed-header byte `first`. */
export function writeBody(p: Fields, t: number, first: number, v5: boolean): Uint8Array {
  return writeWith(v5 ? body5 : body, p, t, first);
}
