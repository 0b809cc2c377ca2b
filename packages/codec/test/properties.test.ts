// One row per property rule (MQTT 5, 2.2.2): malformed bytes throw MqttCodecError with a stable
// code, from decode and from the streaming Decoder; invalid properties are refused by encode.
import { describe, expect, it } from "vitest";
import { decode, encode, type PacketInput5 } from "../src/index.js";
import { hex, toHex } from "./gen.js";
import { frame } from "./gen5.js";
import { type DecodeRow, decodeRefusals, type EncodeRow, encodeRefusals } from "./refusals.js";

const len = (h: string) => hex(h).length.toString(16).padStart(2, "0");
/** PUBACK id 1, reason 0, properties `p` (hex, its length is prefixed). */
const puback = (p: string) => frame(0x40, `00 01 00 ${len(p)} ${p}`);
/** DISCONNECT reason 0, properties `p`. */
const disconnect = (p: string) => frame(0xe0, `00 ${len(p)} ${p}`);
/** CONNACK accepted, properties `p`. */
const connack = (p: string) => frame(0x20, `00 00 ${len(p)} ${p}`);
/** PUBLISH QoS 0 topic "t", properties `p`, payload "x". */
const publish = (p: string) => frame(0x30, `00 01 74 ${len(p)} ${p} 78`);
/** SUBSCRIBE id 1 "t" QoS 0, properties `p`. */
const subscribe = (p: string) => frame(0x82, `00 01 ${len(p)} ${p} 00 01 74 00`);
/** CONNECT v5 clean, client id "c", properties `p`; will properties `w` when given. */
const connect = (p: string, w?: string) =>
  frame(
    0x10,
    `00 04 4d 51 54 54 05 ${w === undefined ? "02" : "06"} 00 00 ${len(p)} ${p} 00 01 63` +
      (w === undefined ? "" : ` ${len(w)} ${w} 00 01 77 00 00`),
  );

const decodeRows: DecodeRow[] = [
  // at most once (2.2.2.2); only User Property and, in PUBLISH, Subscription Identifier repeat
  [
    "Session Expiry Interval twice",
    disconnect("11 00 00 00 01 11 00 00 00 02"),
    "ERR_DUPLICATE_PROPERTY",
  ],
  ["Reason String twice", puback("1f 00 01 61 1f 00 01 62"), "ERR_DUPLICATE_PROPERTY"],
  [
    "Subscription Identifier twice in SUBSCRIBE",
    subscribe("0b 01 0b 02"),
    "ERR_DUPLICATE_PROPERTY",
  ],
  ["Topic Alias twice", publish("23 00 01 23 00 02"), "ERR_DUPLICATE_PROPERTY"],
  ["Receive Maximum twice", connack("21 00 01 21 00 01"), "ERR_DUPLICATE_PROPERTY"],
  ["Correlation Data twice", publish("09 00 00 09 00 00"), "ERR_DUPLICATE_PROPERTY"],
  [
    "Will Delay Interval twice",
    connect("", "18 00 00 00 01 18 00 00 00 01"),
    "ERR_DUPLICATE_PROPERTY",
  ],
  // allowed packets (2.2.2.2 table)
  ["Topic Alias in DISCONNECT", disconnect("23 00 01"), "ERR_PROPERTY_NOT_ALLOWED"],
  [
    "Will Delay Interval in CONNECT properties",
    connect("18 00 00 00 01"),
    "ERR_PROPERTY_NOT_ALLOWED",
  ],
  [
    "Session Expiry Interval in will properties",
    connect("", "11 00 00 00 01"),
    "ERR_PROPERTY_NOT_ALLOWED",
  ],
  ["Subscription Identifier in PUBACK", puback("0b 01"), "ERR_PROPERTY_NOT_ALLOWED"],
  ["Reason String in PUBLISH", publish("1f 00 00"), "ERR_PROPERTY_NOT_ALLOWED"],
  ["Maximum QoS in CONNECT", connect("24 01"), "ERR_PROPERTY_NOT_ALLOWED"],
  ["Server Keep Alive in DISCONNECT", disconnect("13 00 0a"), "ERR_PROPERTY_NOT_ALLOWED"],
  ["Authentication Method in PUBLISH", publish("15 00 01 61"), "ERR_PROPERTY_NOT_ALLOWED"],
  // identifiers
  ["property identifier 0", puback("00"), "ERR_BAD_PROPERTY"],
  ["property identifier 4 (unassigned)", puback("04 00"), "ERR_BAD_PROPERTY"],
  ["property identifier 127", puback("7f 00"), "ERR_BAD_PROPERTY"],
  [
    "property identifier 1 as an overlong 81 00 [MQTT-1.5.5-1]",
    publish("81 00 01"),
    "ERR_MALFORMED_LENGTH",
  ],
  // Variable Byte Integers (1.5.5)
  ["Property Length of 5 bytes", frame(0x40, "00 01 00 80 80 80 80 01"), "ERR_MALFORMED_LENGTH"],
  [
    "Property Length overlong 80 00 [MQTT-1.5.5-1]",
    frame(0x40, "00 01 00 80 00"),
    "ERR_MALFORMED_LENGTH",
  ],
  ["Subscription Identifier overlong 81 00", subscribe("0b 81 00"), "ERR_MALFORMED_LENGTH"],
  ["Subscription Identifier of 5 bytes", subscribe("0b ff ff ff ff 7f"), "ERR_MALFORMED_LENGTH"],
  ["Subscription Identifier cut short", subscribe("0b ff"), "ERR_BAD_LENGTH"],
  ["Remaining Length overlong c0 80 00 [MQTT-1.5.5-1]", "c0 80 00", "ERR_MALFORMED_LENGTH"],
  // lengths
  ["Property Length past the packet", frame(0x40, "00 01 00 05 1f 00 01"), "ERR_BAD_LENGTH"],
  ["Property Length past the packet (CONNACK)", frame(0x20, "00 00 03"), "ERR_BAD_LENGTH"],
  [
    "Four Byte Integer cut by the property block",
    frame(0x30, "00 01 74 03 02 00 00 00 00"),
    "ERR_BAD_LENGTH",
  ],
  [
    "string cut by the property block",
    frame(0x40, "00 01 00 03 1f 00 05 61 62 63"),
    "ERR_BAD_LENGTH",
  ],
  ["CONNACK without Property Length", frame(0x20, "00 00"), "ERR_BAD_LENGTH"],
  // UTF-8 (1.5.4, 1.5.7)
  ["invalid UTF-8 in a User Property name", puback("26 00 01 ff 00 00"), "ERR_BAD_UTF8"],
  ["invalid UTF-8 in a User Property value", puback("26 00 00 00 02 c0 80"), "ERR_BAD_UTF8"],
  ["U+0000 in a User Property value", puback("26 00 00 00 01 00"), "ERR_BAD_UTF8"],
  ["surrogate in a Reason String", puback("1f 00 03 ed a0 80"), "ERR_BAD_UTF8"],
  ["invalid UTF-8 in a Content Type", publish("03 00 01 fe"), "ERR_BAD_UTF8"],
  ["User Property without its value", puback("26 00 01 61"), "ERR_BAD_LENGTH"],
  // values
  ["Subscription Identifier 0 (3.8.2.1.2)", subscribe("0b 00"), "ERR_BAD_PROPERTY"],
  ["Subscription Identifier 0 in PUBLISH (3.3.2.3.8)", publish("0b 00"), "ERR_BAD_PROPERTY"],
  ["Receive Maximum 0 (3.2.2.3.3)", connack("21 00 00"), "ERR_BAD_PROPERTY"],
  ["Receive Maximum 0 in CONNECT (3.1.2.11.3)", connect("21 00 00"), "ERR_BAD_PROPERTY"],
  ["Maximum Packet Size 0 (3.1.2.11.4)", connect("27 00 00 00 00"), "ERR_BAD_PROPERTY"],
  ["Topic Alias 0 [MQTT-3.3.2-8]", publish("23 00 00"), "ERR_BAD_PROPERTY"],
  ["Payload Format Indicator 2", publish("01 02"), "ERR_BAD_PROPERTY"],
  ["Maximum QoS 2 (3.2.2.3.4)", connack("24 02"), "ERR_BAD_PROPERTY"],
  ["Retain Available 2", connack("25 02"), "ERR_BAD_PROPERTY"],
  ["Request Problem Information 2", connect("17 02"), "ERR_BAD_PROPERTY"],
  ["Request Response Information 2", connect("19 02"), "ERR_BAD_PROPERTY"],
  ["Wildcard Subscription Available 2", connack("28 02"), "ERR_BAD_PROPERTY"],
  ["Shared Subscription Available ff", connack("2a ff"), "ERR_BAD_PROPERTY"],
  ["Response Topic with a wildcard [MQTT-3.3.2-14]", publish("08 00 03 61 2f 23"), "ERR_BAD_TOPIC"],
  ["empty Response Topic", publish("08 00 00"), "ERR_BAD_TOPIC"],
];

describe("malformed MQTT 5 properties", () => {
  decodeRefusals(decodeRows);

  it("the same frames without the fault decode (the rows test one rule each)", () => {
    expect(decode(hex(disconnect("11 00 00 00 01")), 5)).toEqual({
      type: "disconnect",
      reasonCode: 0,
      properties: { sessionExpiryInterval: 1 },
    });
    expect(decode(hex(subscribe("0b 01")), 5).type).toBe("subscribe");
    expect(decode(hex(connack("22 00 00 24 01 25 00")), 5)).toEqual({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      properties: { topicAliasMaximum: 0, maximumQoS: 1, retainAvailable: false },
    });
    expect(decode(hex(connect("21 00 01 27 00 00 00 01", "18 00 00 00 01")), 5)).toMatchObject({
      properties: { receiveMaximum: 1, maximumPacketSize: 1 },
      will: { properties: { willDelayInterval: 1 } },
    });
    expect(decode(hex(frame(0xc0, "")), 5)).toEqual({ type: "pingreq" });
  });

  it("repeats what may repeat: User Property (order kept, names repeat) and PUBLISH Subscription Identifier", () => {
    const p = decode(
      hex(publish("26 00 01 62 00 01 31 0b 05 26 00 01 61 00 01 32 26 00 01 62 00 01 33 0b 7f")),
      5,
    );
    expect(p.type === "publish" && p.properties).toEqual({
      userProperties: { b: ["1", "3"], a: "2" },
      subscriptionIdentifier: [5, 127],
    });
    expect(
      Object.keys((p as { properties: { userProperties: object } }).properties.userProperties),
    ).toEqual(["b", "a"]);
    // a name like __proto__ is data
    const q = decode(hex(puback("26 00 09 5f 5f 70 72 6f 74 6f 5f 5f 00 01 78")), 5);
    expect(q.type === "puback" && Object.entries(q.properties?.userProperties ?? {})).toEqual([
      ["__proto__", "x"],
    ]);
    // and encodes back to the same bytes
    expect(toHex(encode(q, 5))).toBe(
      toHex(hex(puback("26 00 09 5f 5f 70 72 6f 74 6f 5f 5f 00 01 78"))),
    );
  });

  const ack = (properties: unknown) =>
    ({ type: "puback", packetId: 1, reasonCode: 0x10, properties }) as PacketInput5;
  const pub = (properties: unknown) =>
    ({
      type: "publish",
      topic: "t",
      payload: "",
      qos: 0,
      retain: false,
      dup: false,
      properties,
    }) as PacketInput5;
  const encodeRows: EncodeRow[] = [
    ["unknown property name", ack({ reasonStrin: "x" }), "ERR_BAD_PROPERTY"],
    ["inherited name", ack({ toString: "x" }), "ERR_BAD_PROPERTY"],
    ["properties not an object", ack("x"), "ERR_BAD_PROPERTY"],
    ["properties an array", ack([]), "ERR_BAD_PROPERTY"],
    ["properties null", ack(null), "ERR_BAD_PROPERTY"],
    ["Topic Alias in PUBACK", ack({ topicAlias: 1 }), "ERR_PROPERTY_NOT_ALLOWED"],
    ["Reason String in PUBLISH", pub({ reasonString: "x" }), "ERR_PROPERTY_NOT_ALLOWED"],
    ["Subscription Identifier 0", pub({ subscriptionIdentifier: 0 }), "ERR_BAD_PROPERTY"],
    [
      "Subscription Identifier 268435456",
      pub({ subscriptionIdentifier: 268_435_456 }),
      "ERR_BAD_PROPERTY",
    ],
    ["Subscription Identifier []", pub({ subscriptionIdentifier: [] }), "ERR_BAD_PROPERTY"],
    ["Subscription Identifier [1, 0]", pub({ subscriptionIdentifier: [1, 0] }), "ERR_BAD_PROPERTY"],
    ["Topic Alias 0", pub({ topicAlias: 0 }), "ERR_BAD_PROPERTY"],
    ["Topic Alias 65536", pub({ topicAlias: 65_536 }), "ERR_BAD_PROPERTY"],
    ["Topic Alias 1.5", pub({ topicAlias: 1.5 }), "ERR_BAD_PROPERTY"],
    ["Message Expiry Interval 2^32", pub({ messageExpiryInterval: 2 ** 32 }), "ERR_BAD_PROPERTY"],
    ["Message Expiry Interval -1", pub({ messageExpiryInterval: -1 }), "ERR_BAD_PROPERTY"],
    [
      "Payload Format Indicator 1 (a boolean is required)",
      pub({ payloadFormatIndicator: 1 }),
      "ERR_BAD_PROPERTY",
    ],
    ["Response Topic with a wildcard", pub({ responseTopic: "a/+" }), "ERR_BAD_TOPIC"],
    ["Content Type a number", pub({ contentType: 5 }), "ERR_INVALID_PACKET"],
    ["Correlation Data a number", pub({ correlationData: 5 }), "ERR_INVALID_PACKET"],
    ["User Properties a string", ack({ userProperties: "a" }), "ERR_BAD_PROPERTY"],
    ["User Property value a number", ack({ userProperties: { a: 1 } }), "ERR_INVALID_PACKET"],
    [
      "User Property value with a lone surrogate",
      ack({ userProperties: { a: "\ud800" } }),
      "ERR_BAD_UTF8",
    ],
    ["User Property name with U+0000", ack({ userProperties: { "a\0": "b" } }), "ERR_BAD_UTF8"],
    [
      "Reason String over 65535 bytes",
      ack({ reasonString: "x".repeat(65_536) }),
      "ERR_STRING_TOO_LONG",
    ],
    [
      "Receive Maximum 0",
      {
        type: "connect",
        clientId: "c",
        cleanSession: true,
        keepalive: 0,
        properties: { receiveMaximum: 0 },
      },
      "ERR_BAD_PROPERTY",
    ],
    [
      "Maximum Packet Size 0",
      {
        type: "connack",
        sessionPresent: false,
        reasonCode: 0,
        properties: { maximumPacketSize: 0 },
      },
      "ERR_BAD_PROPERTY",
    ],
    [
      "Maximum QoS 2",
      { type: "connack", sessionPresent: false, reasonCode: 0, properties: { maximumQoS: 2 } },
      "ERR_BAD_PROPERTY",
    ],
    [
      "Will Delay Interval in CONNECT properties",
      {
        type: "connect",
        clientId: "c",
        cleanSession: true,
        keepalive: 0,
        properties: { willDelayInterval: 1 } as never,
      },
      "ERR_PROPERTY_NOT_ALLOWED",
    ],
    [
      "Session Expiry Interval in will properties",
      {
        type: "connect",
        clientId: "c",
        cleanSession: true,
        keepalive: 0,
        will: {
          topic: "w",
          payload: "",
          qos: 0,
          retain: false,
          properties: { sessionExpiryInterval: 1 } as never,
        },
      },
      "ERR_PROPERTY_NOT_ALLOWED",
    ],
    [
      "Subscription Identifier list in SUBSCRIBE",
      {
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "t", qos: 0 }],
        properties: { subscriptionIdentifier: [1, 2] as never },
      },
      "ERR_BAD_PROPERTY",
    ],
  ];
  encodeRefusals(encodeRows);
});
