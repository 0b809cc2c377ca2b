/**
 * Packet type names indexed by type code; the leading space gives reserved code 0 an empty name.
 * One string, so that each name is spelled once in the bundle.
 */
export const NAMES = (
  " connect connack publish puback pubrec pubrel pubcomp" +
  " subscribe suback unsubscribe unsuback pingreq pingresp disconnect auth"
).split(" ") as PacketTypeName[];

/** Control packet type codes (the high nibble of the first header byte); `auth` is MQTT 5 only. */
export const PacketType: {
  readonly connect: 1;
  readonly connack: 2;
  readonly publish: 3;
  readonly puback: 4;
  readonly pubrec: 5;
  readonly pubrel: 6;
  readonly pubcomp: 7;
  readonly subscribe: 8;
  readonly suback: 9;
  readonly unsubscribe: 10;
  readonly unsuback: 11;
  readonly pingreq: 12;
  readonly pingresp: 13;
  readonly disconnect: 14;
  readonly auth: 15;
  // built from NAMES, for the same reason
} = Object.fromEntries(NAMES.map((name, code) => [name, code]).slice(1)) as typeof PacketType;

/** Name of a control packet type, used as the `type` discriminant of {@link Packet}. */
export type PacketTypeName = keyof typeof PacketType;

/** The fixed-header flags of a non-PUBLISH type [MQTT-2.2.2-1]: 0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE, else 0000. */
export const headerFlags = (t: number): number => (t === 6 || t === 8 || t === 10 ? 2 : 0);

/** Quality of service level. */
export type QoS = 0 | 1 | 2;

/** CONNECT: the first packet a client sends. */
export interface ConnectPacket {
  type: "connect";
  clientId: string;
  cleanSession: boolean;
  /** Seconds, 0..65535; 0 disables keepalive. */
  keepalive: number;
  will?: { topic: string; payload: Uint8Array; qos: QoS; retain: boolean };
  username?: string;
  password?: Uint8Array;
}

/** CONNACK: the server's answer to CONNECT. `returnCode` is 0 (accepted) to 5. */
export interface ConnackPacket {
  type: "connack";
  sessionPresent: boolean;
  returnCode: number;
}

/** PUBLISH. A decoded `topic` and `payload` are views into the received bytes. */
export interface PublishPacket {
  type: "publish";
  topic: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present exactly when `qos` > 0. */
  packetId?: number;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet id and nothing else. */
export interface AckPacket {
  type: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback";
  packetId: number;
}

/** SUBSCRIBE: one or more topic filters with their requested QoS. */
export interface SubscribePacket {
  type: "subscribe";
  packetId: number;
  subscriptions: { topicFilter: string; qos: QoS }[];
}

/** SUBACK: one return code per filter: 0, 1, 2 (granted QoS) or 0x80 (refused). */
export interface SubackPacket {
  type: "suback";
  packetId: number;
  returnCodes: number[];
}

/** UNSUBSCRIBE: one or more topic filters. */
export interface UnsubscribePacket {
  type: "unsubscribe";
  packetId: number;
  topicFilters: string[];
}

/** PINGREQ, PINGRESP and DISCONNECT: a bare fixed header. */
export interface EmptyPacket {
  type: "pingreq" | "pingresp" | "disconnect";
}

/** Any MQTT 3.1.1 control packet, as {@link decode} returns it. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | EmptyPacket;

/** A string (encoded as UTF-8) or raw bytes. */
export type Bytes = string | Uint8Array;

/** CONNECT as {@link encode} accepts it: every string and payload may be a string or bytes. */
export interface ConnectInput {
  type: "connect";
  clientId: Bytes;
  cleanSession: boolean;
  keepalive: number;
  will?: { topic: Bytes; payload: Bytes; qos: QoS; retain: boolean };
  username?: Bytes;
  password?: Bytes;
}

/** PUBLISH as {@link encode} accepts it. */
export interface PublishInput {
  type: "publish";
  topic: Bytes;
  payload: Bytes;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  packetId?: number;
}

/** SUBSCRIBE as {@link encode} accepts it. */
export interface SubscribeInput {
  type: "subscribe";
  packetId: number;
  subscriptions: { topicFilter: Bytes; qos: QoS }[];
}

/** UNSUBSCRIBE as {@link encode} accepts it. */
export interface UnsubscribeInput {
  type: "unsubscribe";
  packetId: number;
  topicFilters: Bytes[];
}

/** What {@link encode} accepts: a {@link Packet} whose topics, strings and payloads may be strings or bytes. */
export type PacketInput =
  | ConnectInput
  | ConnackPacket
  | PublishInput
  | AckPacket
  | SubscribeInput
  | SubackPacket
  | UnsubscribeInput
  | EmptyPacket;
