import { readBody5 } from "./body.js";
import { CodecErrorCode, fail } from "./errors.js";
import { headerFlags, NAMES } from "./packet-types.js";
import type { Packet5 } from "./packet-types5.js";
import { decodePublish5 } from "./publish5.js";

/**
 * Decodes the MQTT 5 body `[start, end)` of one frame whose first header byte is `first` and
 * whose Remaining Length took `extra` + 1 bytes. Internal: decode and Decoder call it.
 */
export function decodeBody5(
  first: number,
  b: Uint8Array,
  start: number,
  end: number,
  extra: number,
): Packet5 {
  // [MQTT-1.5.5-1] a Variable Byte Integer takes the fewest bytes: a longer one ends in 00
  if (extra && b[start - 1] === 0)
    fail(CodecErrorCode.MALFORMED_LENGTH, "Remaining Length not in its shortest form");
  const t = first >> 4;
  const flags = first & 15;
  if (t === 3) return decodePublish5(flags, b, start, end);
  if (t === 0) fail(CodecErrorCode.UNKNOWN_TYPE, "reserved packet type 0");
  if (flags !== headerFlags(t))
    fail(CodecErrorCode.BAD_FLAGS, `invalid fixed-header flags for ${NAMES[t]}`);
  return readBody5(t, b, start, end);
}
