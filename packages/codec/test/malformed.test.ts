// One row per rule: malformed bytes must throw MqttCodecError with a stable code, on decode and
// through the streaming Decoder; invalid packets must be refused by encode.
import { describe, expect, it } from "vitest";
import { Decoder, decode, encode, MqttCodecError, type PacketInput } from "../src/index.js";
import { hex } from "./gen.js";

const CONNECT_HEAD = "00 04 4d 51 54 54 04"; // protocol name "MQTT", level 4

const decodeRows: [rule: string, bytes: string, code: string][] = [
  // framing (2.2.3)
  ["5th Remaining Length byte", "30 80 80 80 80 01", "ERR_MALFORMED_LENGTH"],
  ["header only, no length", "30", "ERR_BAD_LENGTH"],
  ["shorter than Remaining Length", "30 05 00 01 74", "ERR_BAD_LENGTH"],
  ["longer than Remaining Length", "c0 00 00", "ERR_BAD_LENGTH"],
  ["empty input", "", "ERR_BAD_LENGTH"],
  ["reserved type 0", "00 00", "ERR_UNKNOWN_TYPE"],
  ["reserved type 15", "f0 00", "ERR_UNKNOWN_TYPE"],
  // [MQTT-2.2.2-1] fixed-header flags
  ["CONNECT flags 0001", `11 0f ${CONNECT_HEAD} 02 00 00 00 03 63 69 64`, "ERR_BAD_FLAGS"],
  ["CONNACK flags 0001", "21 02 00 00", "ERR_BAD_FLAGS"],
  ["PUBACK flags 0010", "42 02 00 01", "ERR_BAD_FLAGS"],
  ["PUBREC flags 0010", "52 02 00 01", "ERR_BAD_FLAGS"],
  ["PUBREL flags 0000 [MQTT-3.6.1-1]", "60 02 00 01", "ERR_BAD_FLAGS"],
  ["PUBCOMP flags 1000", "78 02 00 01", "ERR_BAD_FLAGS"],
  ["SUBSCRIBE flags 0000 [MQTT-3.8.1-1]", "80 08 00 01 00 03 74 2f 23 01", "ERR_BAD_FLAGS"],
  ["SUBACK flags 0010", "92 03 00 01 00", "ERR_BAD_FLAGS"],
  ["UNSUBSCRIBE flags 0000 [MQTT-3.10.1-1]", "a0 07 00 01 00 03 74 2f 23", "ERR_BAD_FLAGS"],
  ["UNSUBACK flags 0001", "b1 02 00 01", "ERR_BAD_FLAGS"],
  ["PINGREQ flags 0001", "c1 00", "ERR_BAD_FLAGS"],
  ["PINGRESP flags 0100", "d4 00", "ERR_BAD_FLAGS"],
  ["DISCONNECT flags 1000", "e8 00", "ERR_BAD_FLAGS"],
  // PUBLISH
  ["PUBLISH QoS 3 [MQTT-3.3.1-4]", "36 06 00 01 74 00 01 6d", "ERR_BAD_QOS"],
  ["PUBLISH DUP on QoS 0 [MQTT-3.3.1-2]", "38 03 00 01 74", "ERR_BAD_FLAGS"],
  ["PUBLISH packet id 0 [MQTT-2.3.1-1]", "32 05 00 01 74 00 00", "ERR_BAD_PACKET_ID"],
  ["PUBLISH empty topic [MQTT-4.7.3-1]", "30 02 00 00", "ERR_BAD_TOPIC"],
  ["PUBLISH topic with + [MQTT-3.3.2-2]", "30 05 00 03 61 2f 2b", "ERR_BAD_TOPIC"],
  ["PUBLISH topic with # [MQTT-3.3.2-2]", "30 05 00 03 61 2f 23", "ERR_BAD_TOPIC"],
  ["PUBLISH topic byte FF [MQTT-1.5.3-1]", "30 03 00 01 ff", "ERR_BAD_UTF8"],
  ["PUBLISH topic U+0000 [MQTT-1.5.3-2]", "30 03 00 01 00", "ERR_BAD_UTF8"],
  ["PUBLISH topic surrogate ED A0 80 [MQTT-1.5.3-1]", "30 05 00 03 ed a0 80", "ERR_BAD_UTF8"],
  ["PUBLISH topic overlong C0 80", "30 04 00 02 c0 80", "ERR_BAD_UTF8"],
  ["PUBLISH topic overlong E0 80 80", "30 05 00 03 e0 80 80", "ERR_BAD_UTF8"],
  ["PUBLISH topic past U+10FFFF", "30 06 00 04 f4 90 80 80", "ERR_BAD_UTF8"],
  ["PUBLISH topic truncated sequence", "30 04 00 02 e2 82", "ERR_BAD_UTF8"],
  ["PUBLISH topic bad continuation", "30 04 00 02 c3 41", "ERR_BAD_UTF8"],
  ["PUBLISH topic longer than body", "30 03 00 05 61", "ERR_BAD_LENGTH"],
  ["PUBLISH body of 1 byte", "30 01 00", "ERR_BAD_LENGTH"],
  ["PUBLISH QoS 1 without packet id", "32 03 00 01 74", "ERR_BAD_LENGTH"],
  // fixed-size acknowledgements
  ["PUBACK Remaining Length 3", "40 03 00 01 00", "ERR_BAD_LENGTH"],
  ["PUBACK Remaining Length 1", "40 01 00", "ERR_BAD_LENGTH"],
  ["PUBACK packet id 0", "40 02 00 00", "ERR_BAD_PACKET_ID"],
  ["PUBREC packet id 0", "50 02 00 00", "ERR_BAD_PACKET_ID"],
  ["PUBREL packet id 0", "62 02 00 00", "ERR_BAD_PACKET_ID"],
  ["PUBCOMP Remaining Length 0", "70 00", "ERR_BAD_LENGTH"],
  ["UNSUBACK packet id 0", "b0 02 00 00", "ERR_BAD_PACKET_ID"],
  ["PINGREQ Remaining Length 1", "c0 01 00", "ERR_BAD_LENGTH"],
  ["PINGRESP Remaining Length 1", "d0 01 00", "ERR_BAD_LENGTH"],
  ["DISCONNECT Remaining Length 1", "e0 01 00", "ERR_BAD_LENGTH"],
  // CONNACK (3.2.2)
  ["CONNACK Remaining Length 3", "20 03 00 00 00", "ERR_BAD_LENGTH"],
  ["CONNACK reserved ack flag bits", "20 02 02 00", "ERR_BAD_CONNACK"],
  ["CONNACK return code 6", "20 02 00 06", "ERR_BAD_RETURN_CODE"],
  ["CONNACK session present with refusal [MQTT-3.2.2-4]", "20 02 01 05", "ERR_BAD_CONNACK"],
  // SUBSCRIBE / SUBACK / UNSUBSCRIBE
  ["SUBSCRIBE without filters [MQTT-3.8.3-3]", "82 02 00 01", "ERR_NO_FILTERS"],
  ["SUBSCRIBE packet id 0", "82 08 00 00 00 03 74 2f 23 01", "ERR_BAD_PACKET_ID"],
  ["SUBSCRIBE requested QoS 3 [MQTT-3.8.3-4]", "82 08 00 01 00 03 74 2f 23 03", "ERR_BAD_QOS"],
  ["SUBSCRIBE QoS byte upper bits [MQTT-3.8.3-4]", "82 08 00 01 00 03 74 2f 23 41", "ERR_BAD_QOS"],
  ["SUBSCRIBE missing QoS byte", "82 07 00 01 00 03 74 2f 23", "ERR_BAD_LENGTH"],
  ["SUBSCRIBE filter t#/ [MQTT-4.7.1-2]", "82 08 00 01 00 03 74 23 2f 01", "ERR_BAD_FILTER"],
  ["SUBSCRIBE filter a+ [MQTT-4.7.1-3]", "82 07 00 01 00 02 61 2b 01", "ERR_BAD_FILTER"],
  ["SUBSCRIBE empty filter [MQTT-4.7.3-1]", "82 05 00 01 00 00 01", "ERR_BAD_FILTER"],
  ["SUBSCRIBE filter not UTF-8 [MQTT-3.8.3-1]", "82 06 00 01 00 01 ff 00", "ERR_BAD_UTF8"],
  ["SUBACK return code 3 [MQTT-3.9.3-2]", "90 03 00 01 03", "ERR_BAD_RETURN_CODE"],
  ["SUBACK return code 0x81 [MQTT-3.9.3-2]", "90 03 00 01 81", "ERR_BAD_RETURN_CODE"],
  ["SUBACK without return codes", "90 02 00 01", "ERR_BAD_LENGTH"],
  ["UNSUBSCRIBE without filters [MQTT-3.10.3-2]", "a2 02 00 01", "ERR_NO_FILTERS"],
  ["UNSUBSCRIBE filter ++", "a2 06 00 01 00 02 2b 2b", "ERR_BAD_FILTER"],
  ["UNSUBSCRIBE filter U+0000", "a2 05 00 01 00 01 00", "ERR_BAD_UTF8"],
  // CONNECT
  [
    "CONNECT protocol name MQTX [MQTT-3.1.2-1]",
    "10 0f 00 04 4d 51 54 58 04 02 00 00 00 03 63 69 64",
    "ERR_BAD_PROTOCOL",
  ],
  [
    "CONNECT level 3 [MQTT-3.1.2-2]",
    "10 0f 00 04 4d 51 54 54 03 02 00 00 00 03 63 69 64",
    "ERR_BAD_PROTOCOL",
  ],
  [
    "CONNECT MQIsdp",
    "10 11 00 06 4d 51 49 73 64 70 03 02 00 00 00 03 63 69 64",
    "ERR_BAD_PROTOCOL",
  ],
  [
    "CONNECT reserved flag [MQTT-3.1.2-3]",
    `10 0f ${CONNECT_HEAD} 03 00 00 00 03 63 69 64`,
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT will QoS without will [MQTT-3.1.2-13]",
    `10 0f ${CONNECT_HEAD} 0a 00 00 00 03 63 69 64`,
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT will retain without will [MQTT-3.1.2-15]",
    `10 0f ${CONNECT_HEAD} 22 00 00 00 03 63 69 64`,
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT will QoS 3 [MQTT-3.1.2-14]",
    `10 15 ${CONNECT_HEAD} 1e 00 00 00 03 63 69 64 00 01 74 00 01 6d`,
    "ERR_BAD_QOS",
  ],
  [
    "CONNECT password without user name [MQTT-3.1.2-22]",
    `10 12 ${CONNECT_HEAD} 42 00 00 00 03 63 69 64 00 01 70`,
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT empty client id without clean session [MQTT-3.1.3-7]",
    `10 0c ${CONNECT_HEAD} 00 00 00 00 00`,
    "ERR_BAD_CLIENT_ID",
  ],
  [
    "CONNECT will flag without will fields [MQTT-3.1.2-9]",
    `10 0f ${CONNECT_HEAD} 06 00 00 00 03 63 69 64`,
    "ERR_BAD_LENGTH",
  ],
  [
    "CONNECT user name flag without user name [MQTT-3.1.2-19]",
    `10 0f ${CONNECT_HEAD} 82 00 00 00 03 63 69 64`,
    "ERR_BAD_LENGTH",
  ],
  [
    "CONNECT will topic with wildcard",
    `10 15 ${CONNECT_HEAD} 06 00 00 00 03 63 69 64 00 01 23 00 01 6d`,
    "ERR_BAD_TOPIC",
  ],
  [
    "CONNECT client id not UTF-8 [MQTT-3.1.3-4]",
    `10 0f ${CONNECT_HEAD} 02 00 00 00 03 63 ff 64`,
    "ERR_BAD_UTF8",
  ],
  [
    "CONNECT user name U+0000 [MQTT-3.1.3-11]",
    `10 12 ${CONNECT_HEAD} 82 00 00 00 03 63 69 64 00 01 00`,
    "ERR_BAD_UTF8",
  ],
  ["CONNECT trailing byte", `10 10 ${CONNECT_HEAD} 02 00 00 00 03 63 69 64 00`, "ERR_BAD_LENGTH"],
  ["CONNECT truncated keepalive", `10 09 ${CONNECT_HEAD} 02 00`, "ERR_BAD_LENGTH"],
];

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MqttCodecError);
    expect((e as MqttCodecError).name).toBe("MqttCodecError");
    return (e as MqttCodecError).code;
  }
  return "no error";
}

describe("malformed input is refused with a stable code", () => {
  it.each(decodeRows)("decode: %s", (_rule, bytes, code) => {
    expect(codeOf(() => decode(hex(bytes)))).toBe(code);
  });

  // rows about framing alone (incomplete input, bytes after the packet) do not apply to a
  // stream, where more bytes may follow; a 5th Remaining Length byte does
  it.each(decodeRows.filter(([, bytes]) => framesExactly(hex(bytes))))(
    "Decoder.push (whole and byte by byte): %s",
    (_rule, bytes, code) => {
      const b = hex(bytes);
      expect(codeOf(() => new Decoder().push(b))).toBe(code);
      const d = new Decoder();
      expect(
        codeOf(() => {
          for (let i = 0; i < b.length; i++) d.push(b.subarray(i, i + 1));
        }),
      ).toBe(code);
    },
  );
});

/** True when `b` is exactly one frame by its Remaining Length, or has a 5-byte one. */
function framesExactly(b: Uint8Array): boolean {
  let len = 0;
  for (let i = 1, mul = 1; i < b.length; i++, mul *= 128) {
    if (i === 5) return true;
    len += (b[i] & 127) * mul;
    if (b[i] < 128) return b.length === i + 1 + len;
  }
  return false;
}

// biome-ignore lint/suspicious/noExplicitAny: deliberately ill-typed input
const bad = (p: any) => p as PacketInput;
const pub = { type: "publish", topic: "t", payload: "m", qos: 0, retain: false, dup: false };
const conn = { type: "connect", clientId: "c", cleanSession: true, keepalive: 60 };
/** A Uint8Array claiming a huge length, so the size check runs without allocating 256 MiB. */
const huge = Object.defineProperty(new Uint8Array(0), "length", { value: 268_435_453 });

const encodeRows: [rule: string, packet: PacketInput, code: string][] = [
  ["unknown type", bad({ type: "nope" }), "ERR_UNKNOWN_TYPE"],
  ["null packet", bad(null), "ERR_UNKNOWN_TYPE"],
  ["PUBLISH QoS 3", bad({ ...pub, qos: 3 }), "ERR_BAD_QOS"],
  ['PUBLISH QoS "1"', bad({ ...pub, qos: "1" }), "ERR_BAD_QOS"],
  ["PUBLISH DUP with QoS 0 [MQTT-3.3.1-2]", bad({ ...pub, dup: true }), "ERR_BAD_FLAGS"],
  [
    "PUBLISH QoS 0 with packet id [MQTT-2.3.1-5]",
    bad({ ...pub, packetId: 1 }),
    "ERR_BAD_PACKET_ID",
  ],
  ["PUBLISH QoS 1 without packet id [MQTT-2.3.1-1]", bad({ ...pub, qos: 1 }), "ERR_BAD_PACKET_ID"],
  ["PUBLISH packet id 0", bad({ ...pub, qos: 1, packetId: 0 }), "ERR_BAD_PACKET_ID"],
  ["PUBLISH packet id 65536", bad({ ...pub, qos: 1, packetId: 65536 }), "ERR_BAD_PACKET_ID"],
  ["PUBLISH packet id 1.5", bad({ ...pub, qos: 2, packetId: 1.5 }), "ERR_BAD_PACKET_ID"],
  ["PUBLISH empty topic [MQTT-4.7.3-1]", bad({ ...pub, topic: "" }), "ERR_BAD_TOPIC"],
  ["PUBLISH topic with + [MQTT-3.3.2-2]", bad({ ...pub, topic: "a/+" }), "ERR_BAD_TOPIC"],
  ["PUBLISH topic with # [MQTT-3.3.2-2]", bad({ ...pub, topic: "#" }), "ERR_BAD_TOPIC"],
  ["PUBLISH bytes topic with +", bad({ ...pub, topic: Uint8Array.of(0x2b) }), "ERR_BAD_TOPIC"],
  ["PUBLISH topic U+0000 [MQTT-4.7.3-2]", bad({ ...pub, topic: "a\0b" }), "ERR_BAD_UTF8"],
  [
    "PUBLISH topic lone surrogate [MQTT-1.5.3-1]",
    bad({ ...pub, topic: "a\ud800" }),
    "ERR_BAD_UTF8",
  ],
  ["PUBLISH bytes topic not UTF-8", bad({ ...pub, topic: Uint8Array.of(0xff) }), "ERR_BAD_UTF8"],
  [
    "PUBLISH topic of 65536 bytes [MQTT-4.7.3-3]",
    bad({ ...pub, topic: "é".repeat(32768) }),
    "ERR_BAD_TOPIC",
  ],
  ["PUBLISH topic a number", bad({ ...pub, topic: 5 }), "ERR_INVALID_PACKET"],
  ["PUBLISH payload a number", bad({ ...pub, payload: 5 }), "ERR_INVALID_PACKET"],
  ["PUBLISH payload lone surrogate", bad({ ...pub, payload: "\udc00" }), "ERR_BAD_UTF8"],
  ["PUBLISH over 268,435,455 bytes", bad({ ...pub, payload: huge }), "ERR_PACKET_TOO_LARGE"],
  ["CONNECT keepalive 65536", bad({ ...conn, keepalive: 65536 }), "ERR_INVALID_PACKET"],
  ["CONNECT keepalive -1", bad({ ...conn, keepalive: -1 }), "ERR_INVALID_PACKET"],
  ["CONNECT keepalive missing", bad({ ...conn, keepalive: undefined }), "ERR_INVALID_PACKET"],
  [
    "CONNECT empty client id, no clean session [MQTT-3.1.3-7]",
    bad({ ...conn, clientId: "", cleanSession: false }),
    "ERR_BAD_CLIENT_ID",
  ],
  [
    "CONNECT password without user name [MQTT-3.1.2-22]",
    bad({ ...conn, password: "pw" }),
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT will QoS 3 [MQTT-3.1.2-14]",
    bad({ ...conn, will: { topic: "t", payload: "", qos: 3, retain: false } }),
    "ERR_BAD_QOS",
  ],
  [
    "CONNECT will topic with wildcard",
    bad({ ...conn, will: { topic: "t/#", payload: "", qos: 0, retain: false } }),
    "ERR_BAD_TOPIC",
  ],
  [
    "CONNECT will payload missing [MQTT-3.1.2-9]",
    bad({ ...conn, will: { topic: "t", qos: 0, retain: false } }),
    "ERR_INVALID_PACKET",
  ],
  [
    "CONNECT client id of 65536 bytes",
    bad({ ...conn, clientId: "x".repeat(65536) }),
    "ERR_STRING_TOO_LONG",
  ],
  [
    "CONNECT password of 65536 bytes",
    bad({ ...conn, username: "u", password: new Uint8Array(65536) }),
    "ERR_STRING_TOO_LONG",
  ],
  ["CONNECT user name U+0000 [MQTT-1.5.3-2]", bad({ ...conn, username: "\0" }), "ERR_BAD_UTF8"],
  ["CONNECT client id a number", bad({ ...conn, clientId: 7 }), "ERR_INVALID_PACKET"],
  [
    "CONNACK return code 6",
    bad({ type: "connack", sessionPresent: false, returnCode: 6 }),
    "ERR_BAD_RETURN_CODE",
  ],
  [
    "CONNACK return code -1",
    bad({ type: "connack", sessionPresent: false, returnCode: -1 }),
    "ERR_BAD_RETURN_CODE",
  ],
  [
    "CONNACK session present with refusal [MQTT-3.2.2-4]",
    bad({ type: "connack", sessionPresent: true, returnCode: 5 }),
    "ERR_BAD_CONNACK",
  ],
  [
    "SUBSCRIBE without filters [MQTT-3.8.3-3]",
    bad({ type: "subscribe", packetId: 1, subscriptions: [] }),
    "ERR_NO_FILTERS",
  ],
  [
    "SUBSCRIBE subscriptions not an array",
    bad({ type: "subscribe", packetId: 1 }),
    "ERR_INVALID_PACKET",
  ],
  [
    "SUBSCRIBE filter a# [MQTT-4.7.1-2]",
    bad({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a#", qos: 0 }] }),
    "ERR_BAD_FILTER",
  ],
  [
    "SUBSCRIBE filter a/#/b [MQTT-4.7.1-2]",
    bad({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a/#/b", qos: 0 }] }),
    "ERR_BAD_FILTER",
  ],
  [
    "SUBSCRIBE filter a/b+ [MQTT-4.7.1-3]",
    bad({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a/b+", qos: 0 }] }),
    "ERR_BAD_FILTER",
  ],
  [
    "SUBSCRIBE requested QoS 3 [MQTT-3.8.3-4]",
    bad({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a", qos: 3 }] }),
    "ERR_BAD_QOS",
  ],
  [
    "SUBSCRIBE packet id 0 [MQTT-2.3.1-1]",
    bad({ type: "subscribe", packetId: 0, subscriptions: [{ topicFilter: "a", qos: 0 }] }),
    "ERR_BAD_PACKET_ID",
  ],
  [
    "SUBACK return code 3 [MQTT-3.9.3-2]",
    bad({ type: "suback", packetId: 1, returnCodes: [3] }),
    "ERR_BAD_RETURN_CODE",
  ],
  [
    "SUBACK without return codes",
    bad({ type: "suback", packetId: 1, returnCodes: [] }),
    "ERR_BAD_LENGTH",
  ],
  [
    "UNSUBSCRIBE without filters [MQTT-3.10.3-2]",
    bad({ type: "unsubscribe", packetId: 1, topicFilters: [] }),
    "ERR_NO_FILTERS",
  ],
  [
    "UNSUBSCRIBE filter +x",
    bad({ type: "unsubscribe", packetId: 1, topicFilters: ["+x"] }),
    "ERR_BAD_FILTER",
  ],
  ["PUBACK without packet id", bad({ type: "puback" }), "ERR_BAD_PACKET_ID"],
  ["PUBREL packet id 0", bad({ type: "pubrel", packetId: 0 }), "ERR_BAD_PACKET_ID"],
  ["UNSUBACK packet id 70000", bad({ type: "unsuback", packetId: 70000 }), "ERR_BAD_PACKET_ID"],
];

describe("encode refuses invalid packets", () => {
  it.each(encodeRows)("%s", (_rule, packet, code) => {
    let out: Uint8Array | undefined;
    expect(
      codeOf(() => {
        out = encode(packet);
      }),
    ).toBe(code);
    expect(out).toBeUndefined();
  });
});
