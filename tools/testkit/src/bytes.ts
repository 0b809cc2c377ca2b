/** Text and hex conversions for byte-exact assertions. */

/** A shared UTF-8 encoder: `utf8.encode("t/a")`. */
export const utf8 = new TextEncoder();

const decoder = new TextDecoder();

/** Bytes as UTF-8 text: `text(msg)` → "hello". */
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);

/**
 * Bytes as lower-case hex pairs joined by spaces, for readable byte-exact assertions.
 *
 * @example
 * hex(Uint8Array.of(0xc0, 0)); // "c0 00"
 */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/**
 * Hex pairs (whitespace between them optional) to bytes: the inverse of {@link hex}.
 *
 * @example
 * fromHex("40 02 00 01"); // Uint8Array [0x40, 0x02, 0x00, 0x01]
 */
export function fromHex(hexString: string): Uint8Array {
  const digits = hexString.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits))
    throw new RangeError(`fromHex: not hex pairs: ${hexString}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
