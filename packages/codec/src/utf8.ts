/** Shared decoder (one per string would dominate short strings); `ignoreBOM` keeps a leading U+FEFF [MQTT-1.5.3-3]. */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * UTF-8 byte length of `s` without allocating. Returns -1 when `s` cannot be an MQTT string:
 * a lone surrogate [MQTT-1.5.3-1], or U+0000 when `strict` [MQTT-1.5.3-2].
 */
export function utf8Length(s: string, strict: boolean): number {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0 && strict) return -1;
      n++;
    } else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c < 0xdc00 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      n += 4;
    } else return -1;
  }
  return n;
}

/** Writes `s` (whose UTF-8 length `byteLength` is known) at `pos`; returns the end position. */
export function writeUtf8(s: string, buf: Uint8Array, pos: number, byteLength: number): number {
  if (byteLength === s.length && byteLength < 48) {
    // short ASCII: a plain loop beats encodeInto's call and subarray overhead
    for (let i = 0; i < byteLength; i++) buf[pos + i] = s.charCodeAt(i);
  } else encoder.encodeInto(s, buf.subarray(pos, pos + byteLength));
  return pos + byteLength;
}

/**
 * Checks `buf[pos..end)` byte-wise, without allocating. Returns 0 when it is well-formed UTF-8
 * without surrogates or U+0000 [MQTT-1.5.3-1/2], 1 when not, and 2 when `noWildcards` is set
 * and it contains `+` or `#` (so a PUBLISH topic is checked in one pass).
 */
export function scanUtf8(buf: Uint8Array, pos: number, end: number, noWildcards: boolean): number {
  while (pos < end) {
    const c = buf[pos++];
    if (c < 0x80) {
      if (c === 0) return 1;
      if (noWildcards && (c === 0x23 || c === 0x2b)) return 2;
      continue;
    }
    // lead byte → continuation count; C0, C1 and F5..FF never start a character
    const n = c < 0xc2 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : c < 0xf5 ? 3 : 0;
    if (n === 0 || pos + n > end) return 1;
    let cp = c & (0x3f >> n);
    for (let k = 0; k < n; k++) {
      const d = buf[pos++];
      if ((d & 0xc0) !== 0x80) return 1;
      cp = (cp << 6) | (d & 0x3f);
    }
    // overlong forms, surrogates, and code points past U+10FFFF
    if (
      n === 2
        ? cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)
        : n === 3 && (cp < 0x10000 || cp > 0x10ffff)
    )
      return 1;
  }
  return 0;
}

/** Decodes bytes already checked by {@link scanUtf8}; U+FEFF is kept [MQTT-1.5.3-3]. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Encodes a JS string to UTF-8 bytes (allocates). */
export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}
