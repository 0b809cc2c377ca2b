import { CodecErrorCode, fail } from "./errors.js";
import type { Bytes } from "./packet-types.js";
import { decodeUtf8 } from "./utf8.js";

/**
 * Whether `filter` (already a valid topic filter) is an MQTT 5 shared subscription
 * `$share/{ShareName}/{filter}` (4.8.2); throws ERR_BAD_FILTER when it starts with `$share/` but
 * its ShareName is empty or has `/`, `+` or `#` [MQTT-4.8.2-2], or no filter follows [MQTT-4.8.2-1].
 */
export function isShared(filter: Bytes): boolean {
  const f = typeof filter === "string" ? filter : decodeUtf8(filter);
  if (!f.startsWith("$share/")) return false;
  const slash = f.indexOf("/", 7);
  const name = f.slice(7, slash);
  if (slash < 8 || slash + 1 === f.length || name.includes("+") || name.includes("#"))
    fail(CodecErrorCode.BAD_FILTER, "shared subscription must be $share/{name}/{filter}");
  return true;
}
