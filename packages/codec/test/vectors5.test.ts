// Annotated MQTT 5 wire vectors, written from the standard field by field, both directions.
import { describe, expect, it } from "vitest";
import { decode, encode, type Packet5, type PacketInput5 } from "../src/index.js";
import { hex, toHex } from "./gen.js";

const te = new TextEncoder();

// [name, input, bytes (one field per line), decoded form when it differs from the input]
const vectors: [string, PacketInput5, string[], Packet5?][] = [
  [
    "CONNECT with properties, will properties, user name and password",
    {
      type: "connect",
      clientId: "cid",
      cleanSession: true,
      keepalive: 30,
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 20, userProperties: { k: "v" } },
      will: {
        topic: "w",
        payload: "x",
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 10 },
      },
      username: "u",
      password: "p",
    },
    [
      "10 31", //                  CONNECT, Remaining Length 49
      "00 04 4d 51 54 54", //      protocol name "MQTT"
      "05", //                     protocol version 5
      "ee", //                     flags: user name 80, password 40, will retain 20, will QoS 1 08, will 04, clean start 02
      "00 1e", //                  keep alive 30 s
      "0f", //                     property length 15
      "11 00 00 0e 10", //         Session Expiry Interval (0x11) 3600
      "21 00 14", //               Receive Maximum (0x21) 20
      "26 00 01 6b 00 01 76", //   User Property (0x26) "k" = "v"
      "00 03 63 69 64", //         client id "cid"
      "05", //                     will property length 5
      "18 00 00 00 0a", //         Will Delay Interval (0x18) 10 s
      "00 01 77", //               will topic "w"
      "00 01 78", //               will payload "x"
      "00 01 75", //               user name "u"
      "00 01 70", //               password "p"
    ],
    {
      type: "connect",
      clientId: "cid",
      cleanSession: true,
      keepalive: 30,
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 20, userProperties: { k: "v" } },
      will: {
        topic: "w",
        payload: te.encode("x"),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 10 },
      },
      username: "u",
      password: te.encode("p"),
    },
  ],
  [
    "CONNACK with properties",
    {
      type: "connack",
      sessionPresent: true,
      reasonCode: 0,
      properties: {
        topicAliasMaximum: 16,
        maximumQoS: 1,
        assignedClientIdentifier: "a1",
        serverKeepAlive: 20,
      },
    },
    [
      "20 10", //                  CONNACK, Remaining Length 16
      "01", //                     acknowledge flags: session present
      "00", //                     reason code 0x00 Success
      "0d", //                     property length 13
      "22 00 10", //               Topic Alias Maximum (0x22) 16
      "24 01", //                  Maximum QoS (0x24) 1
      "12 00 02 61 31", //         Assigned Client Identifier (0x12) "a1"
      "13 00 14", //               Server Keep Alive (0x13) 20 s
    ],
  ],
  [
    "PUBLISH with a topic alias and an empty topic",
    {
      type: "publish",
      topic: "",
      payload: "on",
      qos: 1,
      retain: false,
      dup: false,
      packetId: 10,
      properties: { topicAlias: 5, payloadFormatIndicator: true },
    },
    [
      "32 0c", //                  PUBLISH QoS 1, Remaining Length 12
      "00 00", //                  topic name "" (the alias stands for it)
      "00 0a", //                  packet identifier 10
      "05", //                     property length 5
      "23 00 05", //               Topic Alias (0x23) 5
      "01 01", //                  Payload Format Indicator (0x01) 1: UTF-8
      "6f 6e", //                  payload "on"
    ],
    {
      type: "publish",
      topic: new Uint8Array(0),
      payload: te.encode("on"),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 10,
      properties: { topicAlias: 5, payloadFormatIndicator: true },
    },
  ],
  [
    "SUBSCRIBE with options and a Subscription Identifier",
    {
      type: "subscribe",
      packetId: 2,
      properties: { subscriptionIdentifier: 300 },
      subscriptions: [
        { topicFilter: "a/+", qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 1 },
        { topicFilter: "$share/g/b", qos: 2 },
      ],
    },
    [
      "82 19", //                  SUBSCRIBE (flags 0010), Remaining Length 25
      "00 02", //                  packet identifier 2
      "03", //                     property length 3
      "0b ac 02", //               Subscription Identifier (0x0b) 300 as a Variable Byte Integer
      "00 03 61 2f 2b", //         topic filter "a/+"
      "1d", //                     options: Retain Handling 1 (10), Retain As Published 08, No Local 04, QoS 1
      "00 0a 24 73 68 61 72 65 2f 67 2f 62", // topic filter "$share/g/b"
      "02", //                     options: QoS 2
    ],
    {
      type: "subscribe",
      packetId: 2,
      properties: { subscriptionIdentifier: 300 },
      subscriptions: [
        { topicFilter: "a/+", qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 1 },
        {
          topicFilter: "$share/g/b",
          qos: 2,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0,
        },
      ],
    },
  ],
  [
    "SUBACK with a reason string",
    { type: "suback", packetId: 2, reasonCodes: [1, 0x97], properties: { reasonString: "quota" } },
    [
      "90 0d", //                  SUBACK, Remaining Length 13
      "00 02", //                  packet identifier 2
      "08", //                     property length 8
      "1f 00 05 71 75 6f 74 61", // Reason String (0x1f) "quota"
      "01", //                     0x01 Granted QoS 1
      "97", //                     0x97 Quota exceeded
    ],
  ],
  [
    "DISCONNECT with a reason and a server reference",
    { type: "disconnect", reasonCode: 0x9c, properties: { serverReference: "b2" } },
    [
      "e0 07", //                  DISCONNECT, Remaining Length 7
      "9c", //                     reason code 0x9C Use another server
      "05", //                     property length 5
      "1c 00 02 62 32", //         Server Reference (0x1c) "b2"
    ],
  ],
  [
    "DISCONNECT with only a reason code",
    { type: "disconnect", reasonCode: 0x04 },
    [
      "e0 01", //                  DISCONNECT, Remaining Length 1
      "04", //                     reason code 0x04 Disconnect with Will Message; no property length (3.14.2.2.1)
    ],
  ],
  [
    "AUTH continuing an exchange",
    {
      type: "auth",
      reasonCode: 0x18,
      properties: { authenticationMethod: "SCRAM-SHA-1", authenticationData: te.encode("c1") },
    },
    [
      "f0 15", //                  AUTH, Remaining Length 21
      "18", //                     reason code 0x18 Continue authentication
      "13", //                     property length 19
      "15 00 0b 53 43 52 41 4d 2d 53 48 41 2d 31", // Authentication Method (0x15) "SCRAM-SHA-1"
      "16 00 02 63 31", //         Authentication Data (0x16) "c1"
    ],
  ],
  [
    "PUBREC with a reason code and no properties",
    { type: "pubrec", packetId: 258, reasonCode: 0x10 },
    [
      "50 03", //                  PUBREC, Remaining Length 3
      "01 02", //                  packet identifier 258
      "10", //                     reason code 0x10 No matching subscribers; no property length (3.5.2.2.1)
    ],
  ],
];

describe("MQTT 5 wire vectors", () => {
  for (const [name, input, lines, decoded] of vectors) {
    const bytes = lines.join(" ");
    it(`${name}: encode`, () => {
      expect(toHex(encode(input, 5))).toBe(toHex(hex(bytes)));
    });
    it(`${name}: decode`, () => {
      expect(decode(hex(bytes), 5)).toEqual(decoded ?? input);
    });
  }
});
