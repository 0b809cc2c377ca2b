/**
 * The {@link CodecErrorCode} table as a type, documented per code. The values never change;
 * match on them rather than on messages.
 */
export interface CodecErrorCodes {
  /**
   * Remaining Length (or, in MQTT 5, any Variable Byte Integer) has a 5th byte (2.2.3); an MQTT 5
   * Variable Byte Integer not in its shortest form [MQTT-1.5.5-1].
   */
  readonly MALFORMED_LENGTH: "ERR_MALFORMED_LENGTH";
  /** Packet larger than `maxPacketSize`, or Remaining Length over 268,435,455. */
  readonly PACKET_TOO_LARGE: "ERR_PACKET_TOO_LARGE";
  /** Reserved fixed-header flags wrong, or DUP on a QoS 0 PUBLISH. */
  readonly BAD_FLAGS: "ERR_BAD_FLAGS";
  /**
   * A field or the whole packet is shorter or longer than its contents say: fixed-size packets
   * of the wrong size, `decode` input that is not exactly one packet, a SUBACK without codes.
   */
  readonly BAD_LENGTH: "ERR_BAD_LENGTH";
  /** Packet type 0 or 15, or an unknown `type` given to encode. */
  readonly UNKNOWN_TYPE: "ERR_UNKNOWN_TYPE";
  /** QoS 3 or not an integer 0..2, or reserved bits set in a requested-QoS byte. */
  readonly BAD_QOS: "ERR_BAD_QOS";
  /** Packet id missing, 0, out of range, or present on a QoS 0 PUBLISH. */
  readonly BAD_PACKET_ID: "ERR_BAD_PACKET_ID";
  /** Ill-formed UTF-8, a surrogate code point, or U+0000 in a string; a lone surrogate in a string payload. */
  readonly BAD_UTF8: "ERR_BAD_UTF8";
  /** A string field is longer than 65,535 bytes. */
  readonly STRING_TOO_LONG: "ERR_STRING_TOO_LONG";
  /** Topic name empty, longer than 65,535 bytes, or with a wildcard. */
  readonly BAD_TOPIC: "ERR_BAD_TOPIC";
  /** Topic filter empty, longer than 65,535 bytes, or with a misplaced wildcard. */
  readonly BAD_FILTER: "ERR_BAD_FILTER";
  /** SUBSCRIBE or UNSUBSCRIBE without any topic filter. */
  readonly NO_FILTERS: "ERR_NO_FILTERS";
  /** CONNECT protocol name is not "MQTT" or level is not 4 (5 with protocolVersion 5). */
  readonly BAD_PROTOCOL: "ERR_BAD_PROTOCOL";
  /** CONNECT flags break a rule: reserved bit, will flags, password without user name. */
  readonly BAD_CONNECT_FLAGS: "ERR_BAD_CONNECT_FLAGS";
  /** Empty client id without clean session. */
  readonly BAD_CLIENT_ID: "ERR_BAD_CLIENT_ID";
  /** CONNACK reserved ack-flag bits set, or session present with a refusal. */
  readonly BAD_CONNACK: "ERR_BAD_CONNACK";
  /** CONNACK return code above 5, or SUBACK code other than 0, 1, 2, 0x80. */
  readonly BAD_RETURN_CODE: "ERR_BAD_RETURN_CODE";
  /**
   * encode was given a field of the wrong type or out of range (e.g. keepalive), or a reason code
   * on a 3.1.1 packet; a `protocolVersion` other than 4 or 5.
   */
  readonly INVALID_PACKET: "ERR_INVALID_PACKET";
  /**
   * MQTT 5: unknown property identifier or name, or a value of the wrong type or out of range
   * (e.g. Subscription Identifier 0, a boolean byte other than 0/1); MQTT 3.1.1: `properties` given.
   */
  readonly BAD_PROPERTY: "ERR_BAD_PROPERTY";
  /** MQTT 5: a property that the packet may not carry (e.g. Topic Alias in CONNECT). */
  readonly PROPERTY_NOT_ALLOWED: "ERR_PROPERTY_NOT_ALLOWED";
  /** MQTT 5: a property that may appear at most once appears twice. */
  readonly DUPLICATE_PROPERTY: "ERR_DUPLICATE_PROPERTY";
  /** MQTT 5: a reason code the packet may not carry (2.4). */
  readonly BAD_REASON_CODE: "ERR_BAD_REASON_CODE";
  /** MQTT 5: reserved subscription option bits, Retain Handling 3, or No Local on a shared subscription. */
  readonly BAD_SUBSCRIBE_OPTIONS: "ERR_BAD_SUBSCRIBE_OPTIONS";
}

/** The code names, in table order; each code is "ERR_" + its name. */
const NAMES = [
  "MALFORMED_LENGTH",
  "PACKET_TOO_LARGE",
  "BAD_FLAGS",
  "BAD_LENGTH",
  "UNKNOWN_TYPE",
  "BAD_QOS",
  "BAD_PACKET_ID",
  "BAD_UTF8",
  "STRING_TOO_LONG",
  "BAD_TOPIC",
  "BAD_FILTER",
  "NO_FILTERS",
  "BAD_PROTOCOL",
  "BAD_CONNECT_FLAGS",
  "BAD_CLIENT_ID",
  "BAD_CONNACK",
  "BAD_RETURN_CODE",
  "INVALID_PACKET",
  "BAD_PROPERTY",
  "PROPERTY_NOT_ALLOWED",
  "DUPLICATE_PROPERTY",
  "BAD_REASON_CODE",
  "BAD_SUBSCRIBE_OPTIONS",
] as const satisfies readonly (keyof CodecErrorCodes)[];

/**
 * Builds a table of stable error codes, each name mapped to `"ERR_" + name`, so that each code
 * is spelled once in a bundle. Typing the result as a documented interface checks that the
 * names cover it.
 *
 * @example
 * const NAMES = ["NOT_CONNECTED", "TIMEOUT"] as const;
 * const Code: { NOT_CONNECTED: "ERR_NOT_CONNECTED"; TIMEOUT: "ERR_TIMEOUT" } = errorCodes(NAMES);
 */
export function errorCodes<const N extends string>(
  names: readonly N[],
): { readonly [K in N]: `ERR_${K}` } {
  return Object.fromEntries(names.map((name) => [name, `ERR_${name}`])) as never;
}

/**
 * Stable machine-readable codes carried by {@link MqttCodecError}, e.g.
 * `CodecErrorCode.BAD_FLAGS === "ERR_BAD_FLAGS"`.
 */
export const CodecErrorCode: CodecErrorCodes = errorCodes(NAMES);

/** One of the {@link CodecErrorCode} values. */
export type CodecErrorCode = CodecErrorCodes[keyof CodecErrorCodes];

/**
 * Thrown for malformed input to decode/Decoder and for invalid packets given to encode.
 *
 * @example
 * try { decode(bytes) } catch (e) { if (e instanceof MqttCodecError && e.code === "ERR_BAD_FLAGS") … }
 */
export class MqttCodecError extends Error {
  /** Stable machine-readable code, one of {@link CodecErrorCode}. */
  // `declare`: assigned in the constructor only, so no class field is emitted as well
  declare readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string) {
    super(message);
    (this as { code: CodecErrorCode }).code = code;
    this.name = "MqttCodecError";
  }
}

/** Throws an {@link MqttCodecError}; a function so call sites stay expressions. */
export function fail(code: CodecErrorCode, message: string): never {
  throw new MqttCodecError(code, message);
}
