import { CodecErrorCode, fail } from "./errors.js";
import { NAMES, type PacketTypeName } from "./packet-types.js";

// Packets that carry reason codes, as bits of their type code.
const CONNACK = 1 << 2;
const PUBACK = (1 << 4) | (1 << 5); // and PUBREC
const PUBREL = (1 << 6) | (1 << 7); // and PUBCOMP
const SUBACK = 1 << 9;
const UNSUBACK = 1 << 11;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;
/** Codes every acknowledgement of a request but PUBREL/PUBCOMP may carry. */
const REFUSALS = CONNACK | PUBACK | SUBACK | UNSUBACK;

/** MQTT 5 reason code → the packets that may carry it (2.4, and each packet's table). */
const ALLOWED: Record<number, number> = {
  0: CONNACK | PUBACK | PUBREL | SUBACK | UNSUBACK | DISCONNECT | AUTH,
  1: SUBACK,
  2: SUBACK,
  4: DISCONNECT,
  16: PUBACK,
  17: UNSUBACK,
  24: AUTH,
  25: AUTH,
  128: REFUSALS | DISCONNECT,
  129: CONNACK | DISCONNECT,
  130: CONNACK | DISCONNECT,
  131: REFUSALS | DISCONNECT,
  132: CONNACK,
  133: CONNACK,
  134: CONNACK,
  135: REFUSALS | DISCONNECT,
  136: CONNACK,
  137: CONNACK | DISCONNECT,
  138: CONNACK,
  139: DISCONNECT,
  140: CONNACK,
  141: DISCONNECT,
  142: DISCONNECT,
  143: SUBACK | UNSUBACK | DISCONNECT,
  144: CONNACK | PUBACK | DISCONNECT,
  145: PUBACK | SUBACK | UNSUBACK,
  146: PUBREL,
  147: DISCONNECT,
  148: DISCONNECT,
  149: CONNACK | DISCONNECT,
  150: DISCONNECT,
  151: CONNACK | PUBACK | SUBACK | DISCONNECT,
  152: DISCONNECT,
  153: CONNACK | PUBACK | DISCONNECT,
  154: CONNACK | DISCONNECT,
  155: CONNACK | DISCONNECT,
  156: CONNACK | DISCONNECT,
  157: CONNACK | DISCONNECT,
  158: SUBACK | DISCONNECT,
  159: CONNACK | DISCONNECT,
  160: DISCONNECT,
  161: SUBACK | DISCONNECT,
  162: SUBACK | DISCONNECT,
};

/** Whether packet type `t` (its code, e.g. 4 for PUBACK) may carry MQTT 5 reason code `code`. */
function reasonAllowed(t: number, code: number): boolean {
  return typeof code === "number" && ((ALLOWED[code] ?? 0) & (1 << t)) !== 0;
}

/** Throws unless packet type `t` may carry reason code `code`; returns it. */
export function checkReason(t: number, code: number): number {
  return reasonAllowed(t, code)
    ? code
    : fail(
        CodecErrorCode.BAD_REASON_CODE,
        `reason code ${code} not allowed in ${NAMES[t].toUpperCase()}`,
      );
}

/** Reason code names (2.4), in code order; code 0 is named per packet by {@link reasonName}. */
const NAMES5: Record<number, string> = {
  1: "Granted QoS 1",
  2: "Granted QoS 2",
  4: "Disconnect with Will Message",
  16: "No matching subscribers",
  17: "No subscription existed",
  24: "Continue authentication",
  25: "Re-authenticate",
  128: "Unspecified error",
  129: "Malformed Packet",
  130: "Protocol Error",
  131: "Implementation specific error",
  132: "Unsupported Protocol Version",
  133: "Client Identifier not valid",
  134: "Bad User Name or Password",
  135: "Not authorized",
  136: "Server unavailable",
  137: "Server busy",
  138: "Banned",
  139: "Server shutting down",
  140: "Bad authentication method",
  141: "Keep Alive timeout",
  142: "Session taken over",
  143: "Topic Filter invalid",
  144: "Topic Name invalid",
  145: "Packet Identifier in use",
  146: "Packet Identifier not found",
  147: "Receive Maximum exceeded",
  148: "Topic Alias invalid",
  149: "Packet too large",
  150: "Message rate too high",
  151: "Quota exceeded",
  152: "Administrative action",
  153: "Payload format invalid",
  154: "Retain not supported",
  155: "QoS not supported",
  156: "Use another server",
  157: "Server moved",
  158: "Shared Subscriptions not supported",
  159: "Connection rate exceeded",
  160: "Maximum connect time",
  161: "Subscription Identifiers not supported",
  162: "Wildcard Subscriptions not supported",
};

/**
 * The MQTT 5 name of reason code `code` (2.4), or `undefined` for a code MQTT 5 does not define
 * (or that `type`, when given, may not carry). Code 0 is "Success", "Normal disconnection" in a
 * DISCONNECT and "Granted QoS 0" in a SUBACK.
 *
 * @example
 * reasonName(0x87);                // "Not authorized"
 * reasonName(0, "disconnect");     // "Normal disconnection"
 * reasonName(0x10, "pubcomp");     // undefined: PUBCOMP may not carry it
 */
export function reasonName(code: number, type?: PacketTypeName): string | undefined {
  if (type !== undefined && !reasonAllowed(NAMES.indexOf(type), code)) return undefined;
  if (code !== 0) return NAMES5[code];
  return type === "disconnect"
    ? "Normal disconnection"
    : type === "suback"
      ? "Granted QoS 0"
      : "Success";
}
