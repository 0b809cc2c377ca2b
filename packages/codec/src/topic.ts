import { CodecErrorCode, fail } from "./errors.js";
import { encodeUtf8, scanUtf8, utf8Length } from "./utf8.js";

const HASH = 0x23; // '#'
const PLUS = 0x2b; // '+'
const SLASH = 0x2f; // '/'
const DOLLAR = 0x24; // '$'

/** Code unit `i` of a string, or byte `i` of bytes: wildcards and '/' are ASCII in both. */
function at(s: string | Uint8Array, i: number): number {
  return typeof s === "string" ? s.charCodeAt(i) : s[i];
}

/**
 * Byte length of `value` as an MQTT string; throws unless it is a string or bytes of valid UTF-8
 * without U+0000 [MQTT-1.5.3-1/2]. `what` names the field in the error.
 */
export function stringLength(value: unknown, what: string): number {
  const n =
    typeof value === "string"
      ? utf8Length(value, true)
      : value instanceof Uint8Array
        ? scanUtf8(value, 0, value.length, false) === 0
          ? value.length
          : -1
        : fail(CodecErrorCode.INVALID_PACKET, `${what} must be a string or Uint8Array`);
  return n < 0 ? fail(CodecErrorCode.BAD_UTF8, `${what} is not valid UTF-8 or contains U+0000`) : n;
}

/**
 * Validates a topic name (`filter` false) or filter (`filter` true); returns its UTF-8 byte length.
 */
export function checkTopic(t: string | Uint8Array, filter: boolean): number {
  const code = filter ? CodecErrorCode.BAD_FILTER : CodecErrorCode.BAD_TOPIC;
  const what = filter ? "topic filter" : "topic name";
  const len = stringLength(t, what);
  // [MQTT-4.7.3-1] at least one character, [MQTT-4.7.3-3] at most 65,535 bytes
  if (len === 0 || len > 65_535) fail(code, `${what} must be 1 to 65535 bytes long`);
  // native scans first: most topics have no wildcard at all
  if (
    typeof t === "string"
      ? !t.includes("+") && !t.includes("#")
      : !t.includes(PLUS) && !t.includes(HASH)
  )
    return len;
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = at(t, i);
    if (c !== HASH && c !== PLUS) continue;
    // [MQTT-3.3.2-2] [MQTT-4.7.1-1] no wildcards in topic names
    if (!filter) fail(code, "topic name must not contain wildcards '+' or '#'");
    // [MQTT-4.7.1-2] '#' last and alone in its level; [MQTT-4.7.1-3] '+' fills its level
    if ((i > 0 && at(t, i - 1) !== SLASH) || (i + 1 < n && (c === HASH || at(t, i + 1) !== SLASH)))
      fail(code, "wildcard must fill a whole level, and '#' must be last");
  }
  return len;
}

/**
 * Throws {@link MqttCodecError} unless `topic` is a valid topic name: 1..65535 bytes of UTF-8,
 * no U+0000, no wildcards.
 *
 * @example
 * validateTopicName("sensors/kitchen/temp"); // ok
 * validateTopicName("sensors/+");            // throws ERR_BAD_TOPIC
 */
export function validateTopicName(topic: string | Uint8Array): void {
  checkTopic(topic, false);
}

/**
 * Throws {@link MqttCodecError} unless `filter` is a valid topic filter: like a topic name,
 * but `+` may fill a level and `#` may be the last level.
 *
 * @example
 * validateTopicFilter("sensors/+/temp"); // ok
 * validateTopicFilter("sensors/#/temp"); // throws ERR_BAD_FILTER
 */
export function validateTopicFilter(filter: string | Uint8Array): void {
  checkTopic(filter, true);
}

/**
 * Whether topic name `topic` matches topic filter `filter`, comparing byte-wise and
 * case-sensitively [MQTT-4.7.3-4]. Filters starting with a wildcard do not match topics starting
 * with `$` [MQTT-4.7.2-1]. Both are assumed valid (see {@link validateTopicFilter}). A bytes topic
 * is matched without decoding it.
 *
 * @example
 * topicMatches("a/+/c", "a/b/c"); // true
 * topicMatches("a/#", "a");       // true: '#' includes the parent level
 * topicMatches("#", "$SYS/x");    // false
 */
export function topicMatches(filter: string, topic: string | Uint8Array): boolean {
  let f: string | Uint8Array = filter;
  if (typeof topic !== "string") {
    // a non-ASCII filter must be compared as bytes; an ASCII one can be compared directly
    for (let i = 0; i < filter.length; i++)
      if (filter.charCodeAt(i) > 0x7f) {
        f = encodeUtf8(filter);
        break;
      }
  }
  const fl = f.length;
  const tl = topic.length;
  if (tl > 0 && at(topic, 0) === DOLLAR && fl > 0 && (at(f, 0) === HASH || at(f, 0) === PLUS))
    return false;
  let j = 0;
  for (let i = 0; i < fl; i++) {
    const c = at(f, i);
    if (c === HASH) return true;
    if (c === PLUS) {
      while (j < tl && at(topic, j) !== SLASH) j++;
    } else if (j < tl) {
      if (at(topic, j++) !== c) return false;
    } else {
      // topic used up: only "/#" may be left, matching the parent level ("a/#" matches "a")
      return c === SLASH && i + 2 === fl && at(f, i + 1) === HASH;
    }
  }
  return j === tl;
}
