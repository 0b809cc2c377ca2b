import { CodecErrorCode, fail } from "./errors.js";
import type { Bytes, QoS } from "./packet-types.js";
import { checkTopic, fieldLength } from "./topic.js";
import { decodeUtf8, writeUtf8 } from "./utf8.js";
import { MAX_REMAINING_LENGTH, readVarint, varintLength, writeVarint } from "./varint.js";

/*
 * Design: packet bodies (every packet but the PUBLISH fast paths) are described once, as
 * functions that run in three modes over this module-level cursor: read (decode), measure
 * (encode pass 1: validate and size, nothing written) and write (encode pass 2, into a buffer of
 * the exact size). So a rule is checked by the same line in both directions, and encode never
 * writes half a packet. Not re-entrant: it runs synchronously and never calls out.
 */

/** Input fields of the packet being encoded; `{}` while decoding. */
// biome-ignore lint/suspicious/noExplicitAny: one shape for the input and decoded sides
export type Fields = Record<string, any>;

/** Field kinds for {@link field}: binary, UTF-8 string, topic name, topic filter. */
export const BIN = 0;
export const STR = 1;
export const TOPIC = 2;
export const FILTER = 3;

const { BAD_LENGTH, INVALID_PACKET } = CodecErrorCode;

export let reading = false;
/** Bytes read or written; null while measuring. */
export let buf: Uint8Array | null = null;
export let pos = 0;
export let end = 0;
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

export function u8(v: number): number {
  if (reading) return pos < end ? (buf as Uint8Array)[pos++] : short();
  if (buf) buf[pos] = v;
  pos++;
  return v;
}

export function u16(v: number, what: string): number {
  if (reading) return (u8(0) << 8) | u8(0);
  if (!isU16(v)) fail(INVALID_PACKET, `${what} must be an integer 0..65535`);
  u8(v >> 8);
  u8(v & 255);
  return v;
}

/** A Four Byte Integer (MQTT 5, 1.5.3). */
export function u32(v: number, what: string): number {
  if (reading) return u16(0, what) * 65_536 + u16(0, what);
  if (!(v >= 0 && v <= 0xffff_ffff && Number.isInteger(v)))
    fail(INVALID_PACKET, `${what} must be an integer 0..4294967295`);
  u16(Math.floor(v / 65_536), what);
  u16(v & 0xffff, what);
  return v;
}

/** A Variable Byte Integer (MQTT 5, 1.5.5), in its minimal form [MQTT-1.5.5-1]. */
export function vbi(v: number, what: string): number {
  if (reading) {
    const r = readVarint(buf as Uint8Array, pos, end);
    if (r < 0) short();
    pos += (r & 3) + 1;
    if (r & 3 && (buf as Uint8Array)[pos - 1] === 0)
      fail(CodecErrorCode.MALFORMED_LENGTH, `${what} not in its shortest form`);
    return r >>> 2;
  }
  if (!(v >= 0 && v <= MAX_REMAINING_LENGTH && Number.isInteger(v)))
    fail(INVALID_PACKET, `${what} must be an integer 0..${MAX_REMAINING_LENGTH}`);
  if (buf) writeVarint(buf, pos, v);
  pos += varintLength(v);
  return v;
}

/** A non-zero packet id [MQTT-2.3.1-1]. */
export function id(v: unknown): number {
  return (
    u16(isU16(v) ? v : 0, "packetId") ||
    fail(CodecErrorCode.BAD_PACKET_ID, "packetId must be 1..65535")
  );
}

/**
 * A field with a 2-byte length prefix. Strings are checked as UTF-8 [MQTT-1.5.3-1/2] and, for
 * topics and filters, against the topic rules; a decoded one is a string, other fields are views.
 */
export function field(v: unknown, kind: number, what: string): Bytes {
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

/**
 * A block behind a Variable Byte Integer length (MQTT 5 properties): `run(p, kind)` reads or
 * writes its contents. While reading, nothing inside may read past the block; while measuring, its length
 * is kept for the write pass like a field length.
 */
export function block<T>(run: (p: unknown, kind: number) => T, p: unknown, kind: number): T {
  if (reading) {
    const n = vbi(0, "property length");
    const stop = end;
    if (pos + n > stop) short();
    end = pos + n;
    const r = run(p, kind);
    end = stop;
    return r;
  }
  if (buf) {
    vbi(lens[li++], "property length");
    return run(p, kind);
  }
  const at = lens.push(0) - 1;
  const start = pos;
  const r = run(p, kind);
  lens[at] = pos - start;
  vbi(lens[at], "property length");
  return r;
}

/** Bytes of `v` without a length prefix (a PUBLISH payload), measured or written. */
export function raw(v: unknown, what: string): void {
  const n = buf ? lens[li++] : lens[lens.push(fieldLength(v, what, false)) - 1];
  if (buf) put(buf, pos, v as Bytes, n);
  pos += n;
}

/**
 * Decodes `[start, stop)` of `b` with `run(fields, t)`; every byte must be consumed. With `into`
 * (the packet read so far), `run` reads into it and {@link pos} is left after what it read (MQTT
 * 5 PUBLISH properties, between the hand-written topic and payload).
 */
export function readWith<P>(
  run: (p: Fields, t: number) => P,
  t: number,
  b: Uint8Array,
  start: number,
  stop: number,
  into?: Fields,
): P {
  reading = true;
  buf = b;
  pos = start;
  end = stop;
  try {
    const p = run(into ?? {}, t);
    if (!into && pos !== end) fail(BAD_LENGTH, "bytes after the last field");
    return p;
  } finally {
    // A malformed packet must not keep its (possibly reassembled) bytes alive.
    buf = null;
  }
}

/** Encodes `p` with `run` (measure, allocate once, write) behind fixed-header byte `first`. */
export function writeWith(
  run: (p: Fields, t: number) => unknown,
  p: Fields,
  t: number,
  first: number,
): Uint8Array {
  reading = false;
  buf = null;
  pos = 0;
  lens.length = 0;
  run(p, t);
  const remaining = pos;
  const out = frame(first, remaining);
  buf = out;
  pos = out.length - remaining;
  li = 0;
  run(p, t);
  buf = null;
  return out;
}
