/**
 * Shared decoder (one per string would dominate short strings); `ignoreBOM` keeps a leading
 * U+FEFF [MQTT-1.5.3-3]. `fatal` makes it the validator too: the Encoding Standard refuses exactly
 * what MQTT calls ill-formed (bad sequences, overlongs, surrogates, past U+10FFFF).
 */
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
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
 * Checks `buf[pos..end)` without building a string when it is ASCII (the common case). Returns
 * 0 when it is well-formed UTF-8 without surrogates or U+0000 [MQTT-1.5.3-1/2], 1 when not, and 2
 * when `noWildcards` is set and it contains `+` or `#` (so a PUBLISH topic is checked in one
 * pass), reporting whichever problem comes first.
 */
export function scanUtf8(buf: Uint8Array, pos: number, end: number, noWildcards: boolean): number {
  // stop at the first U+0000 or wildcard: those are ASCII, never part of a multi-byte sequence
  let i = pos;
  let ascii = true;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0 || (noWildcards && (c === 0x23 || c === 0x2b))) break;
    if (c > 0x7f) ascii = false;
  }
  // bytes before the stop must be well-formed; a sequence cut short by the stop byte is not
  if (!ascii) {
    try {
      decoder.decode(buf.subarray(pos, i));
    } catch {
      return 1;
    }
  }
  return i === end ? 0 : buf[i] === 0 ? 1 : 2;
}

/** Decodes bytes already checked by {@link scanUtf8}; U+FEFF is kept [MQTT-1.5.3-3]. */
export function decodeUtf8(bytes: Uint8Array): string {
  // short ASCII (filters, property names): a loop beats TextDecoder's call overhead several times
  const n = bytes.length;
  if (n < 24) {
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = bytes[i];
      if (c > 0x7f) return decoder.decode(bytes);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes);
}

/** Encodes a JS string to UTF-8 bytes (allocates). */
export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}
