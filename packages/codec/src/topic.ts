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
 * Byte length of a string or bytes field. A `text` field (an MQTT string) must be valid UTF-8
 * without U+0000 [MQTT-1.5.3-1/2]; a binary one (payload, password) may be any bytes, or a
 * string without lone surrogates (encoded as UTF-8, U+0000 allowed). `what` names the field.
 */
export function fieldLength(value: unknown, what: string, text: boolean): number {
  const n =
    typeof value === "string"
      ? utf8Length(value, text)
      : value instanceof Uint8Array
        ? !text || scanUtf8(value, 0, value.length, false) === 0
          ? value.length
          : -1
        : fail(CodecErrorCode.INVALID_PACKET, `${what} must be a string or Uint8Array`);
  if (n < 0)
    fail(
      CodecErrorCode.BAD_UTF8,
      text ? `${what} is not UTF-8 without U+0000` : `${what} contains a lone surrogate`,
    );
  return n;
}

/**
 * Validates a topic name (`filter` false) or filter (`filter` true); returns its UTF-8 byte length.
 */
export function checkTopic(t: string | Uint8Array, filter: boolean): number {
  const code = filter ? CodecErrorCode.BAD_FILTER : CodecErrorCode.BAD_TOPIC;
  const what = filter ? "topic filter" : "topic name";
  const len = fieldLength(t, what, true);
  // [MQTT-4.7.3-1] at least one character, [MQTT-4.7.3-3] at most 65,535 bytes
  if (len === 0 || len > 65_535) fail(code, `${what} must be 1 to 65535 bytes`);
  // native scans first: most topics have no wildcard at all
  if (
    typeof t === "string"
      ? !t.includes("+") && !t.includes("#")
      : !t.includes(PLUS) && !t.includes(HASH)
  )
    return len;
  // [MQTT-3.3.2-2] [MQTT-4.7.1-1] no wildcards in topic names
  if (!filter) fail(code, "topic name with a wildcard");
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = at(t, i);
    // [MQTT-4.7.1-2] '#' last and alone in its level; [MQTT-4.7.1-3] '+' fills its level
    if (
      (c === HASH || c === PLUS) &&
      ((i > 0 && at(t, i - 1) !== SLASH) || (i + 1 < n && (c === HASH || at(t, i + 1) !== SLASH)))
    )
      fail(code, "wildcard not alone in its level, or '#' not last");
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

const NON_ASCII = /[^\0-\x7f]/;

/** A string as bytes when it has non-ASCII characters (ASCII compares the same either way). */
function asBytes(s: string): string | Uint8Array {
  return NON_ASCII.test(s) ? encodeUtf8(s) : s;
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
 * is matched without decoding it; a dispatcher that matches many messages against the same
 * filters should pass the filters as bytes too (encoded once), which needs no conversion at all.
 *
 * @example
 * topicMatches("a/+/c", "a/b/c"); // true
 * topicMatches("a/#", "a");       // true: '#' includes the parent level
 * topicMatches("#", "$SYS/x");    // false
 */
export function topicMatches(filter: string | Uint8Array, topic: string | Uint8Array): boolean {
  // Like is compared with like: a non-ASCII string is encoded when the other side is bytes.
  const f = typeof filter === "string" && typeof topic !== "string" ? asBytes(filter) : filter;
  if (typeof topic === "string" && typeof f !== "string") topic = asBytes(topic);
  const fl = f.length;
  const tl = topic.length;
  // (at() of an empty topic or filter is not a character, so no length checks are needed)
  if (at(topic, 0) === DOLLAR && (at(f, 0) === HASH || at(f, 0) === PLUS)) return false;
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
