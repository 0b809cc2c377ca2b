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
import { NAMES } from "./packet-types.js";
import type { Packet5 } from "./packet-types5.js";
import { hasProps, props } from "./properties.js";
import { checkReason } from "./reason-codes.js";
import { isShared } from "./shared.js";

// MQTT 5.0 bodies of every packet but PUBLISH, over the three-mode cursor of cursor.ts.

const { BAD_LENGTH, INVALID_PACKET } = CodecErrorCode;

/** Sets `out.properties` to the block read, measured or written for `p` in packet `kind`. */
function withProps(out: Fields, p: unknown, kind: number): void {
  const q = props(p, kind);
  if (q) out.properties = q;
}

function connack(p: Fields): Fields {
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

/** SUBSCRIBE (8), SUBACK (9), UNSUBSCRIBE (10), UNSUBACK (11): id, properties, a non-empty list. */
function list(p: Fields, t: number): Fields {
  const out: Fields = { type: NAMES[t], packetId: id(p.packetId) };
  withProps(out, p.properties, t);
  const key = t === 8 ? "subscriptions" : t === 10 ? "topicFilters" : "reasonCodes";
  const items = reading ? [] : p[key];
  if (!Array.isArray(items)) fail(INVALID_PACKET, `${key} must be an array`);
  const xs: unknown[] = [];
  for (let i = 0; reading ? pos < end : i < items.length; i++) {
    const it = items[i];
    if (t === 8) xs.push(subscription(it));
    else if (t === 10) {
      const f = field(it, FILTER, "topic filter");
      isShared(f);
      xs.push(f);
    } else xs.push(checkReason(t, u8(it)));
  }
  // [MQTT-3.8.3-2] [MQTT-3.10.3-2] at least one filter (and so one SUBACK/UNSUBACK code)
  if (xs.length === 0)
    fail(t & 1 ? BAD_LENGTH : CodecErrorCode.NO_FILTERS, `${key} must not be empty`);
  out[key] = xs;
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
function body(p: Fields, t: number): Packet5 {
  return (
    t === 1
      ? connect(p, 5)
      : t === 2
        ? connack(p)
        : t > 7 && t < 12
          ? list(p, t)
          : t === 12 || t === 13
            ? { type: NAMES[t] }
            : reasoned(p, t)
  ) as Packet5;
}

/** Decodes the MQTT 5 body `[start, stop)` of a non-PUBLISH packet of type `t`. */
export function readBody5(t: number, b: Uint8Array, start: number, stop: number): Packet5 {
  return readWith(body, t, b, start, stop);
}

/** Encodes a non-PUBLISH MQTT 5 packet of type `t` behind fixed-header byte `first`. */
export function writeBody5(p: Fields, t: number, first: number): Uint8Array {
  return writeWith(body, p, t, first);
}
