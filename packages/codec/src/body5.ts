import {
  BIN,
  checkQos,
  end,
  FILTER,
  type Fields,
  field,
  id,
  pos,
  reading,
  readWith,
  STR,
  TOPIC,
  u8,
  u16,
  writeWith,
} from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import { NAMES } from "./packet-types.js";
import type { Packet5 } from "./packet-types5.js";
import { hasProps, props } from "./properties.js";
import { checkReason } from "./reason-codes.js";
import { isShared } from "./shared.js";

// MQTT 5.0 bodies of every packet but PUBLISH, over the three-mode cursor of cursor.ts.

const { BAD_LENGTH, INVALID_PACKET, BAD_CONNECT_FLAGS } = CodecErrorCode;

/** Sets `out.properties` to the block read, measured or written for `p` in packet `kind`. */
function withProps(out: Fields, p: unknown, kind: number): void {
  const q = props(p, kind);
  if (q) out.properties = q;
}

function connect(p: Fields): Fields {
  // [MQTT-3.1.2-1] protocol name "MQTT"; (3.1.2.2) version 5
  if (field("MQTT", STR, "protocol name") !== "MQTT" || u8(5) !== 5)
    fail(CodecErrorCode.BAD_PROTOCOL, 'protocol must be "MQTT" version 5');
  const { will, username, password } = p;
  const f = u8(
    reading
      ? 0
      : (p.cleanSession ? 2 : 0) |
          (will ? 4 | (checkQos(will.qos, "will qos") << 3) | (will.retain ? 0x20 : 0) : 0) |
          (username === undefined ? 0 : 0x80) |
          (password === undefined ? 0 : 0x40),
  );
  // [MQTT-3.1.2-3] reserved flag bit
  if (f & 1) fail(BAD_CONNECT_FLAGS, "reserved CONNECT flag set");
  const willQos = (f >> 3) & 3;
  // [MQTT-3.1.2-12] will QoS 3; [MQTT-3.1.2-11/13] no will ⇒ will QoS and retain 0
  if (f & 4) checkQos(willQos, "will qos");
  else if (f & 0x38) fail(BAD_CONNECT_FLAGS, "will QoS/retain without will flag");
  const keepalive = u16(p.keepalive, "keepalive");
  const out: Fields = { type: "connect", clientId: "", cleanSession: (f & 2) !== 0, keepalive };
  withProps(out, p.properties, 1);
  // (3.1.3) client id, will properties, will topic, will payload, user name, password
  out.clientId = field(p.clientId, STR, "clientId");
  if (f & 4) {
    const w: Fields = {};
    withProps(w, will?.properties, 0);
    out.will = {
      topic: field(will?.topic, TOPIC, "will topic"),
      payload: field(will?.payload, BIN, "will payload"),
      qos: willQos,
      retain: (f & 0x20) !== 0,
      ...w,
    };
  }
  if (f & 0x80) out.username = field(username, STR, "username");
  if (f & 0x40) out.password = field(password, BIN, "password");
  return out;
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
      ? connect(p)
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
