import { CodecErrorCode, fail } from "./errors.js";
import { fieldLength } from "./topic.js";

/**
 * Throws {@link MqttCodecError} unless `value` fits an MQTT length-prefixed field: at most
 * 65535 bytes and, as text (`binary` false), well-formed UTF-8 without U+0000 [MQTT-1.5.3-1/2].
 * Checks what `encode` would, without encoding.
 *
 * @example
 * validateString(clientId, "clientId"); // before connecting
 * validateString(password, "password", true); // binary data: only the length rule
 */
export function validateString(value: string | Uint8Array, what = "string", binary = false): void {
  if (fieldLength(value, what, !binary) > 65_535) {
    fail(CodecErrorCode.STRING_TOO_LONG, `${what} over 65535 bytes`);
  }
}
