import { CodecErrorCode, fail } from "./errors.js";

/** Largest Remaining Length MQTT can express: FF FF FF 7F. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes the Remaining Length `n` takes (1..4). */
export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Writes `n` as a Remaining Length at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n > 127) {
    buf[pos++] = (n & 127) | 128;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/**
 * Reads a Remaining Length starting at `pos`, not past `end`.
 * Returns -1 when more bytes are needed, else `value * 4 + (byteCount - 1)` so no result object
 * is allocated on the hot path: value = r >>> 2, byte count = (r & 3) + 1.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (pos + i >= end) return -1;
    const b = buf[pos + i];
    value += (b & 127) * mul;
    if (b < 128) return value * 4 + i;
    mul *= 128;
  }
  // (2.2.3) at most 4 bytes; a 5th continuation byte is malformed
  return fail(CodecErrorCode.MALFORMED_LENGTH, "Remaining Length over 4 bytes");
}
