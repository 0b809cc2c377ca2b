// MQTT 5 packet rules other than properties and reason codes: one row per rule, both ways.
import { describe, expect, it } from "vitest";
import { Decoder, decode, encode, type PacketInput, type PacketInput5 } from "../src/index.js";
import { hex, toHex } from "./gen.js";
import { frame } from "./gen5.js";
import { type DecodeRow, decodeRefusals, type EncodeRow, encodeRefusals } from "./refusals.js";

const HEAD5 = "00 04 4d 51 54 54 05"; // "MQTT", version 5

const decodeRows: DecodeRow[] = [
  [
    "CONNECT version 4 read as MQTT 5",
    frame(0x10, "00 04 4d 51 54 54 04 02 00 00 00 00 01 63"),
    "ERR_BAD_PROTOCOL",
  ],
  [
    "CONNECT reserved flag [MQTT-3.1.2-3]",
    frame(0x10, `${HEAD5} 03 00 00 00 00 01 63`),
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT will QoS without will [MQTT-3.1.2-11]",
    frame(0x10, `${HEAD5} 0a 00 00 00 00 01 63`),
    "ERR_BAD_CONNECT_FLAGS",
  ],
  [
    "CONNECT will QoS 3 [MQTT-3.1.2-12]",
    frame(0x10, `${HEAD5} 1e 00 00 00 00 01 63 00 00 01 74 00 00`),
    "ERR_BAD_QOS",
  ],
  ["CONNECT without Property Length", frame(0x10, `${HEAD5} 02 00 00`), "ERR_BAD_LENGTH"],
  [
    "CONNECT flags 0001 [MQTT-2.1.3-1]",
    "11 0e 00 04 4d 51 54 54 05 02 00 00 00 00 01 63",
    "ERR_BAD_FLAGS",
  ],
  [
    "CONNACK session present with a refusal [MQTT-3.2.2-6]",
    frame(0x20, "01 80 00"),
    "ERR_BAD_CONNACK",
  ],
  ["CONNACK reserved ack flags", frame(0x20, "02 00 00"), "ERR_BAD_CONNACK"],
  ["AUTH flags 0001", "f1 00", "ERR_BAD_FLAGS"],
  ["PUBREL flags 0000", "60 02 00 01", "ERR_BAD_FLAGS"],
  ["reserved type 0", "00 00", "ERR_UNKNOWN_TYPE"],
  [
    "PUBLISH empty topic without a Topic Alias (3.3.2.1)",
    frame(0x30, "00 00 00 78"),
    "ERR_BAD_TOPIC",
  ],
  [
    "PUBLISH empty topic with other properties only",
    frame(0x30, "00 00 02 01 01 78"),
    "ERR_BAD_TOPIC",
  ],
  ["PUBLISH topic with a wildcard", frame(0x30, "00 01 23 00"), "ERR_BAD_TOPIC"],
  ["PUBLISH topic not UTF-8", frame(0x30, "00 01 ff 00"), "ERR_BAD_UTF8"],
  ["PUBLISH without Property Length", frame(0x30, "00 01 74"), "ERR_BAD_LENGTH"],
  ["PUBLISH QoS 1 packet id 0", frame(0x32, "00 01 74 00 00 00"), "ERR_BAD_PACKET_ID"],
  ["PUBLISH QoS 3", frame(0x36, "00 01 74 00 01 00"), "ERR_BAD_QOS"],
  ["PUBLISH DUP on QoS 0", frame(0x38, "00 01 74 00"), "ERR_BAD_FLAGS"],
  ["PUBACK packet id 0", frame(0x40, "00 00"), "ERR_BAD_PACKET_ID"],
  ["PUBACK Property Length past the packet", frame(0x40, "00 01 00 01"), "ERR_BAD_LENGTH"],
  ["DISCONNECT Property Length past the packet", frame(0xe0, "00 01"), "ERR_BAD_LENGTH"],
  [
    "SUBSCRIBE reserved option bit 6 [MQTT-3.8.3-5]",
    frame(0x82, "00 01 00 00 01 74 40"),
    "ERR_BAD_SUBSCRIBE_OPTIONS",
  ],
  [
    "SUBSCRIBE reserved option bit 7 [MQTT-3.8.3-5]",
    frame(0x82, "00 01 00 00 01 74 80"),
    "ERR_BAD_SUBSCRIBE_OPTIONS",
  ],
  [
    "SUBSCRIBE Retain Handling 3 (3.8.3.1)",
    frame(0x82, "00 01 00 00 01 74 30"),
    "ERR_BAD_SUBSCRIBE_OPTIONS",
  ],
  ["SUBSCRIBE QoS 3", frame(0x82, "00 01 00 00 01 74 03"), "ERR_BAD_QOS"],
  [
    "SUBSCRIBE No Local on a shared subscription [MQTT-3.8.3-4]",
    frame(0x82, "00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 74 04"),
    "ERR_BAD_SUBSCRIBE_OPTIONS",
  ],
  [
    "SUBSCRIBE $share//t: empty ShareName [MQTT-4.8.2-2]",
    frame(0x82, "00 01 00 00 09 24 73 68 61 72 65 2f 2f 74 00"),
    "ERR_BAD_FILTER",
  ],
  [
    "SUBSCRIBE $share/g: no filter [MQTT-4.8.2-1]",
    frame(0x82, "00 01 00 00 08 24 73 68 61 72 65 2f 67 00"),
    "ERR_BAD_FILTER",
  ],
  [
    "SUBSCRIBE $share/+/t: wildcard ShareName [MQTT-4.8.2-2]",
    frame(0x82, "00 01 00 00 0a 24 73 68 61 72 65 2f 2b 2f 74 00"),
    "ERR_BAD_FILTER",
  ],
  ["SUBSCRIBE without filters [MQTT-3.8.3-2]", frame(0x82, "00 01 00"), "ERR_NO_FILTERS"],
  [
    "SUBSCRIBE without Property Length (a 3.1.1 body)",
    "82 08 00 04 00 03 74 2f 23 01",
    "ERR_BAD_LENGTH",
  ],
  ["SUBSCRIBE options byte missing", frame(0x82, "00 01 00 00 01 74"), "ERR_BAD_LENGTH"],
  [
    "UNSUBSCRIBE $share/g/: no filter",
    frame(0xa2, "00 01 00 00 09 24 73 68 61 72 65 2f 67 2f"),
    "ERR_BAD_FILTER",
  ],
  ["UNSUBSCRIBE without filters", frame(0xa2, "00 01 00"), "ERR_NO_FILTERS"],
  ["SUBACK without reason codes", frame(0x90, "00 01 00"), "ERR_BAD_LENGTH"],
  ["UNSUBACK without reason codes", frame(0xb0, "00 01 00"), "ERR_BAD_LENGTH"],
  ["PINGREQ with a body", frame(0xc0, "00"), "ERR_BAD_LENGTH"],
  ["bytes after DISCONNECT's properties", frame(0xe0, "00 00 00"), "ERR_BAD_LENGTH"],
];

describe("malformed MQTT 5 packets", () => {
  decodeRefusals(decodeRows);

  it("accepts what MQTT 5 allows and 3.1.1 did not", () => {
    // [MQTT-3.1.2-22] is gone: a password without a user name (3.1.2.9)
    const pw = hex(frame(0x10, `${HEAD5} 42 00 00 00 00 01 63 00 01 70`));
    expect(decode(pw, 5)).toMatchObject({ clientId: "c", password: hex("70") });
    // an empty client id without Clean Start (3.1.3.1)
    expect(decode(hex(frame(0x10, `${HEAD5} 00 00 00 00 00 00`)), 5)).toMatchObject({
      clientId: "",
      cleanSession: false,
    });
    // the short acknowledgements: 2 bytes (reason 0), 3 bytes (no properties)
    expect(decode(hex("40 02 00 07"), 5)).toEqual({ type: "puback", packetId: 7, reasonCode: 0 });
    expect(decode(hex("62 03 00 07 92"), 5)).toEqual({
      type: "pubrel",
      packetId: 7,
      reasonCode: 0x92,
    });
    expect(decode(hex("50 04 00 07 10 00"), 5)).toEqual({
      type: "pubrec",
      packetId: 7,
      reasonCode: 0x10,
    });
    expect(decode(hex("e0 00"), 5)).toEqual({ type: "disconnect", reasonCode: 0 });
    expect(decode(hex("e0 01 8e"), 5)).toEqual({ type: "disconnect", reasonCode: 0x8e });
    expect(decode(hex("f0 00"), 5)).toEqual({ type: "auth", reasonCode: 0 });
    // a shared subscription without No Local, and $share as a plain prefix elsewhere
    expect(
      decode(hex(frame(0x82, "00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 23 29")), 5),
    ).toMatchObject({
      subscriptions: [
        {
          topicFilter: "$share/g/#",
          qos: 1,
          noLocal: false,
          retainAsPublished: true,
          retainHandling: 2,
        },
      ],
    });
    expect(decode(hex(frame(0x82, "00 01 00 00 07 24 73 68 61 72 65 67 04")), 5)).toMatchObject({
      subscriptions: [{ topicFilter: "$shareg", noLocal: true }],
    });
  });

  it("writes the short forms: reason code and properties omitted when 0 and empty", () => {
    expect(toHex(encode({ type: "puback", packetId: 7 }, 5))).toBe("40 02 00 07");
    expect(toHex(encode({ type: "puback", packetId: 7, reasonCode: 0, properties: {} }, 5))).toBe(
      "40 02 00 07",
    );
    expect(toHex(encode({ type: "pubrec", packetId: 7, reasonCode: 0x10 }, 5))).toBe(
      "50 03 00 07 10",
    );
    expect(
      toHex(encode({ type: "pubcomp", packetId: 7, properties: { reasonString: "r" } }, 5)),
    ).toBe("70 08 00 07 00 04 1f 00 01 72");
    expect(toHex(encode({ type: "disconnect" }, 5))).toBe("e0 00");
    expect(
      toHex(
        encode({ type: "disconnect", reasonCode: 0, properties: { userProperties: undefined } }, 5),
      ),
    ).toBe("e0 00");
    expect(toHex(encode({ type: "auth", reasonCode: 0x18 }, 5))).toBe("f0 01 18");
    expect(toHex(encode({ type: "auth" }, 5))).toBe("f0 00");
  });

  const sub = (s: object) =>
    ({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "t", qos: 0, ...s }],
    }) as PacketInput5;
  const encodeRows: EncodeRow[] = [
    ["Retain Handling 3", sub({ retainHandling: 3 }), "ERR_BAD_SUBSCRIBE_OPTIONS"],
    ["Retain Handling '1'", sub({ retainHandling: "1" }), "ERR_BAD_SUBSCRIBE_OPTIONS"],
    ["No Local not a boolean", sub({ noLocal: 1 }), "ERR_INVALID_PACKET"],
    ["Retain As Published not a boolean", sub({ retainAsPublished: "yes" }), "ERR_INVALID_PACKET"],
    [
      "No Local on a shared subscription",
      sub({ topicFilter: "$share/g/t", noLocal: true }),
      "ERR_BAD_SUBSCRIBE_OPTIONS",
    ],
    ["shared subscription without a filter", sub({ topicFilter: "$share/g" }), "ERR_BAD_FILTER"],
    [
      "shared subscription as bytes with a wildcard ShareName",
      sub({ topicFilter: new TextEncoder().encode("$share/#/t") }),
      "ERR_BAD_FILTER",
    ],
    ["QoS 3", sub({ qos: 3 }), "ERR_BAD_QOS"],
    ["no subscriptions", { type: "subscribe", packetId: 1, subscriptions: [] }, "ERR_NO_FILTERS"],
    [
      "UNSUBSCRIBE $share//t",
      { type: "unsubscribe", packetId: 1, topicFilters: ["$share//t"] },
      "ERR_BAD_FILTER",
    ],
    ["SUBACK without codes", { type: "suback", packetId: 1, reasonCodes: [] }, "ERR_BAD_LENGTH"],
    [
      "CONNACK session present with a refusal",
      { type: "connack", sessionPresent: true, reasonCode: 0x80 },
      "ERR_BAD_CONNACK",
    ],
    [
      "CONNACK without reasonCode",
      { type: "connack", sessionPresent: false } as never,
      "ERR_BAD_REASON_CODE",
    ],
    ["PUBACK packet id 0", { type: "puback", packetId: 0 }, "ERR_BAD_PACKET_ID"],
    ["unknown type", { type: "publish5" } as never, "ERR_UNKNOWN_TYPE"],
    [
      "will QoS 3",
      {
        type: "connect",
        clientId: "c",
        cleanSession: true,
        keepalive: 0,
        will: { topic: "w", payload: "", qos: 3 as never, retain: false },
      },
      "ERR_BAD_QOS",
    ],
  ];
  encodeRefusals(encodeRows);
});

describe("protocol version", () => {
  it("a 3.1.1 call never takes MQTT 5 fields silently", () => {
    const v4 = (p: unknown) => () => encode(p as PacketInput);
    expect(v4({ type: "auth", reasonCode: 0 })).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_TYPE" }),
    );
    expect(v4({ type: "puback", packetId: 1, properties: {} })).toThrow(
      expect.objectContaining({ code: "ERR_BAD_PROPERTY" }),
    );
    expect(
      v4({
        type: "publish",
        topic: "t",
        payload: "",
        qos: 0,
        retain: false,
        dup: false,
        properties: { topicAlias: 1 },
      }),
    ).toThrow(expect.objectContaining({ code: "ERR_BAD_PROPERTY" }));
    expect(
      v4({
        type: "connect",
        clientId: "c",
        cleanSession: true,
        keepalive: 0,
        will: { topic: "w", payload: "", qos: 0, retain: false, properties: {} },
      }),
    ).toThrow(expect.objectContaining({ code: "ERR_BAD_PROPERTY" }));
    expect(v4({ type: "disconnect", reasonCode: 4 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_PACKET" }),
    );
    expect(v4({ type: "puback", packetId: 1, reasonCode: 0 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_PACKET" }),
    );
    expect(v4({ type: "suback", packetId: 1, returnCodes: [0], reasonCodes: [0] })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_PACKET" }),
    );
    expect(() => encode({ type: "pingreq" }, 4)).not.toThrow();
    // AUTH (type 15) is reserved in 3.1.1
    expect(() => decode(hex("f0 00"))).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_TYPE" }),
    );
    expect(() => decode(hex("f0 00"), 4)).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_TYPE" }),
    );
  });

  it("refuses a protocol version other than 4 or 5", () => {
    for (const v of [3, 6, "5", null]) {
      expect(() => encode({ type: "pingreq" }, v as 4)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_PACKET" }),
      );
      expect(() => decode(hex("c0 00"), v as 4)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_PACKET" }),
      );
      expect(() => new Decoder({ protocolVersion: v as 4 })).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_PACKET" }),
      );
    }
  });

  it("the same bytes mean different packets in 3.1.1 and 5", () => {
    // 3.1.1 CONNACK return code 0 vs MQTT 5 needs a property length
    expect(decode(hex("20 02 00 00"))).toEqual({
      type: "connack",
      sessionPresent: false,
      returnCode: 0,
    });
    expect(() => decode(hex("20 02 00 00"), 5)).toThrow(
      expect.objectContaining({ code: "ERR_BAD_LENGTH" }),
    );
    expect(decode(hex("40 02 00 07"))).toEqual({ type: "puback", packetId: 7 });
    expect(decode(hex("40 02 00 07"), 5)).toEqual({ type: "puback", packetId: 7, reasonCode: 0 });
    // a non-minimal Remaining Length stays accepted in 3.1.1, refused in 5 [MQTT-1.5.5-1]
    expect(decode(hex("c0 80 00"))).toEqual({ type: "pingreq" });
    expect(() => decode(hex("c0 80 00"), 5)).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED_LENGTH" }),
    );
  });
});
