/**
 * Stable machine-readable codes carried by {@link MqttCodecError}. The values never change;
 * match on them rather than on messages.
 */
export const CodecErrorCode = {
  /** Remaining Length has a 5th continuation byte (2.2.3). */
  MALFORMED_LENGTH: "ERR_MALFORMED_LENGTH",
  /** Packet larger than `maxPacketSize`, or Remaining Length over 268,435,455. */
  PACKET_TOO_LARGE: "ERR_PACKET_TOO_LARGE",
  /** Reserved fixed-header flags wrong, or DUP on a QoS 0 PUBLISH. */
  BAD_FLAGS: "ERR_BAD_FLAGS",
  /** A field or the whole packet is shorter or longer than its contents say. */
  BAD_LENGTH: "ERR_BAD_LENGTH",
  /** Packet type 0 or 15, or an unknown `type` given to encode. */
  UNKNOWN_TYPE: "ERR_UNKNOWN_TYPE",
  /** QoS 3 or not an integer 0..2, or reserved bits set in a requested-QoS byte. */
  BAD_QOS: "ERR_BAD_QOS",
  /** Packet id missing, 0, out of range, or present on a QoS 0 PUBLISH. */
  BAD_PACKET_ID: "ERR_BAD_PACKET_ID",
  /** Ill-formed UTF-8, a surrogate code point, or U+0000. */
  BAD_UTF8: "ERR_BAD_UTF8",
  /** A string field is longer than 65,535 bytes. */
  STRING_TOO_LONG: "ERR_STRING_TOO_LONG",
  /** Topic name empty, longer than 65,535 bytes, or with a wildcard. */
  BAD_TOPIC: "ERR_BAD_TOPIC",
  /** Topic filter empty, longer than 65,535 bytes, or with a misplaced wildcard. */
  BAD_FILTER: "ERR_BAD_FILTER",
  /** SUBSCRIBE or UNSUBSCRIBE without any topic filter. */
  NO_FILTERS: "ERR_NO_FILTERS",
  /** CONNECT protocol name is not "MQTT" or level is not 4. */
  BAD_PROTOCOL: "ERR_BAD_PROTOCOL",
  /** CONNECT flags break a rule: reserved bit, will flags, password without user name. */
  BAD_CONNECT_FLAGS: "ERR_BAD_CONNECT_FLAGS",
  /** Empty client id without clean session. */
  BAD_CLIENT_ID: "ERR_BAD_CLIENT_ID",
  /** CONNACK reserved ack-flag bits set, or session present with a refusal. */
  BAD_CONNACK: "ERR_BAD_CONNACK",
  /** CONNACK return code above 5, or SUBACK code other than 0, 1, 2, 0x80. */
  BAD_RETURN_CODE: "ERR_BAD_RETURN_CODE",
  /** encode was given a field of the wrong type or out of range (e.g. keepalive). */
  INVALID_PACKET: "ERR_INVALID_PACKET",
} as const;

/** One of the {@link CodecErrorCode} values. */
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

/**
 * Thrown for malformed input to decode/Decoder and for invalid packets given to encode.
 *
 * @example
 * try { decode(bytes) } catch (e) { if (e instanceof MqttCodecError && e.code === "ERR_BAD_FLAGS") … }
 */
export class MqttCodecError extends Error {
  /** Stable machine-readable code, one of {@link CodecErrorCode}. */
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = "MqttCodecError";
    this.code = code;
  }
}

/** Throws an {@link MqttCodecError}; a function so call sites stay expressions. */
export function fail(code: CodecErrorCode, message: string): never {
  throw new MqttCodecError(code, message);
}
