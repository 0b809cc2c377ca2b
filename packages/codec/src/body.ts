import { CodecErrorCode, fail } from "./errors.js";
import { type Bytes, NAMES, type Packet, type QoS } from "./packet-types.js";
import { checkTopic, fieldLength } from "./topic.js";
import { decodeUtf8, writeUtf8 } from "./utf8.js";
import { MAX_REMAINING_LENGTH, varintLength, writeVarint } from "./varint.js";

/*
 * Design: the bodies of every packet but PUBLISH are described once, as functions that run in
 * three modes over one module-level cursor: read (decode), measure (encode pass 1: validate
 * and size, nothing written) and write (encode pass 2, into a buffer of the exact size). So a
 * rule is checked by the same line in both directions, and encode never writes half a packet.
 * Not re-entrant: it runs synchronously and never calls out.
 */

/** Input fields of the packet being encoded; `{}` while decoding. */
// biome-ignore lint/suspicious/noExplicitAny: one shape for the input and decoded sides
type Fields = Record<string, any>;

/** Field kinds for {@link field}: binary, UTF-8 string, topic name, topic filter. */
const BIN = 0;
const STR = 1;
const TOPIC = 2;
const FILTER = 3;

const { BAD_LENGTH, INVALID_PACKET } = CodecErrorCode;

let reading = false;
/** Bytes read or written; null while measuring. */
let buf: Uint8Array | null = null;
let pos = 0;
let end = 0;
/** Field byte lengths found while measuring, reused while writing. */
const lens: number[] = [];
let li = 0;

/** True for an integer 0..65535 (also rejects non-numbers: `"5" & 0xffff` is not `"5"`). */
export function isU16(n: unknown): n is number {
  return ((n as number) & 0xffff) === n;
}

/** Throws unless `qos` is 0, 1 or 2 [MQTT-3.3.1-4] [MQTT-3.1.2-14] [MQTT-3.8.3-4]. */
export function checkQos(qos: unknown, what: string): QoS {
  return qos === 0 || qos === 1 || qos === 2
    ? qos
    : fail(CodecErrorCode.BAD_QOS, `${what} must be 0, 1 or 2`);
}

/** Writes `v` (bytes, or a string of UTF-8 length `n`) at `at`; returns the end position. */
export function put(to: Uint8Array, at: number, v: Bytes, n: number): number {
  if (typeof v === "string") return writeUtf8(v, to, at, n);
  to.set(v, at);
  return at + n;
}

const SLAB = 65_536;
let slab = new ArrayBuffer(SLAB);
let used = 0;

/**
 * A zeroed buffer of `n` bytes. Small ones are carved from a shared 64 KiB slab, as Node's
 * Buffer pool does: allocating an ArrayBuffer per frame costs ~20× more than a view. A slab is
 * never reused, so a frame never aliases another one.
 */
function alloc(n: number): Uint8Array {
  if (n > 4096) return new Uint8Array(n);
  if (used + n > SLAB) {
    slab = new ArrayBuffer(SLAB);
    used = 0;
  }
  used += n;
  return new Uint8Array(slab, used - n, n);
}

/** Allocates a whole frame and writes its fixed header; the body goes at `length - remaining`. */
export function frame(first: number, remaining: number): Uint8Array {
  // (2.2.3) Remaining Length is at most 268,435,455
  if (remaining > MAX_REMAINING_LENGTH)
    fail(CodecErrorCode.PACKET_TOO_LARGE, `packet over ${MAX_REMAINING_LENGTH} bytes`);
  const out = alloc(1 + varintLength(remaining) + remaining);
  out[0] = first;
  writeVarint(out, 1, remaining);
  return out;
}

export function short(): never {
  return fail(BAD_LENGTH, "packet shorter than its fields");
}

function u8(v: number): number {
  if (reading) return pos < end ? (buf as Uint8Array)[pos++] : short();
  if (buf) buf[pos] = v;
  pos++;
  return v;
}

function u16(v: number, what: string): number {
  if (reading) return (u8(0) << 8) | u8(0);
  if (!isU16(v)) fail(INVALID_PACKET, `${what} must be an integer 0..65535`);
  u8(v >> 8);
  u8(v & 255);
  return v;
}

/** A non-zero packet id [MQTT-2.3.1-1]. */
function id(v: unknown): number {
  return (
    u16(isU16(v) ? v : 0, "packetId") ||
    fail(CodecErrorCode.BAD_PACKET_ID, "packetId must be 1..65535")
  );
}

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

/**
 * A field with a 2-byte length prefix. Strings are checked as UTF-8 [MQTT-1.5.3-1/2] and, for
 * topics and filters, against the topic rules; a decoded one is a string, other fields are views.
 */
function field(v: unknown, kind: number, what: string): Bytes {
  if (reading) {
    const n = u16(0, what);
    if (pos + n > end) short();
    v = (buf as Uint8Array).subarray(pos, pos + n);
  }
  let n: number;
  if (buf && !reading) n = lens[li++];
  else {
    n = kind < TOPIC ? fieldLength(v, what, kind === STR) : checkTopic(v as Bytes, kind === FILTER);
    if (n > 65_535) fail(CodecErrorCode.STRING_TOO_LONG, `${what} over 65535 bytes`);
    // Measured lengths are kept for the write pass only; decoding must not collect them.
    if (!reading) lens.push(n);
  }
  if (!reading) {
    u16(n, what);
    if (buf) put(buf, pos, v as Bytes, n);
  }
  pos += n;
  return reading && kind !== BIN ? decodeUtf8(v as Uint8Array) : (v as Bytes);
}

function connect(p: Fields): Packet {
  // [MQTT-3.1.2-1/2] protocol name "MQTT", level 4
  if (field("MQTT", STR, "protocol name") !== "MQTT" || u8(4) !== 4)
    fail(CodecErrorCode.BAD_PROTOCOL, 'protocol must be "MQTT" level 4');
  const { will, username, password } = p;
  const f = u8(
    reading
      ? 0
      : (p.cleanSession ? 2 : 0) |
          (will ? 4 | (checkQos(will.qos, "will qos") << 3) | (will.retain ? 0x20 : 0) : 0) |
          (username === undefined ? 0 : 0x80) |
          (password === undefined ? 0 : 0x40),
  );
  const badFlags = (why: string) => fail(CodecErrorCode.BAD_CONNECT_FLAGS, why);
  // [MQTT-3.1.2-3] reserved flag bit
  if (f & 1) badFlags("reserved CONNECT flag set");
  const willQos = (f >> 3) & 3;
  // [MQTT-3.1.2-14] will QoS 3; [MQTT-3.1.2-11/13/15] no will ⇒ will QoS and retain 0
  if (f & 4) checkQos(willQos, "will qos");
  else if (f & 0x38) badFlags("will QoS/retain without will flag");
  // [MQTT-3.1.2-22] a password only with a user name
  if ((f & 0xc0) === 0x40) badFlags("password requires a username");
  const keepalive = u16(p.keepalive, "keepalive");
  // [MQTT-3.1.3-1] order: client id, will topic, will message, user name, password
  const clientId = field(p.clientId, STR, "clientId");
  const cleanSession = (f & 2) !== 0;
  // [MQTT-3.1.3-7] a zero-length client id needs a clean session
  if (clientId.length === 0 && !cleanSession)
    fail(CodecErrorCode.BAD_CLIENT_ID, "empty clientId needs cleanSession");
  const out: Fields = { type: "connect", clientId, cleanSession, keepalive };
  // [MQTT-3.1.2-9] will flag ⇒ will topic and message; [MQTT-3.1.2-18..21] user, password
  if (f & 4)
    out.will = {
      topic: field(will?.topic, TOPIC, "will topic"),
      payload: field(will?.payload, BIN, "will payload"),
      qos: willQos,
      retain: (f & 0x20) !== 0,
    };
  if (f & 0x80) out.username = field(username, STR, "username");
  if (f & 0x40) out.password = field(password, BIN, "password");
  return out as Packet;
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
  if (t === 1) return connect(p);
  if (t === 2) return connack(p);
  if (t > 7 && t < 11) return list(p, t);
  // PINGREQ, PINGRESP, DISCONNECT are empty; PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK carry an id
  return (t > 11 ? { type: NAMES[t] } : { type: NAMES[t], packetId: id(p.packetId) }) as Packet;
}

/** Decodes the body `[start, stop)` of a non-PUBLISH packet of type `t`. */
export function readBody(t: number, b: Uint8Array, start: number, stop: number): Packet {
  reading = true;
  buf = b;
  pos = start;
  end = stop;
  try {
    const p = body({}, t);
    if (pos !== end) fail(BAD_LENGTH, "bytes after the last field");
    return p;
  } finally {
    // A malformed packet must not keep its (possibly reassembled) bytes alive.
    buf = null;
  }
}

/** Encodes a non-PUBLISH packet of type `t` behind fixed-header byte `first`. */
export function writeBody(p: Fields, t: number, first: number): Uint8Array {
  reading = false;
  buf = null;
  pos = 0;
  lens.length = 0;
  body(p, t);
  const remaining = pos;
  const out = frame(first, remaining);
  buf = out;
  pos = out.length - remaining;
  li = 0;
  body(p, t);
  buf = null;
  return out;
}
