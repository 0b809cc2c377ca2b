import type {
  Bytes,
  PublishInput,
  PublishPacket,
  QoS,
  UnsubscribeInput,
  UnsubscribePacket,
} from "./packet-types.js";
import type {
  AckProperties,
  AuthProperties,
  ConnackProperties,
  ConnectProperties,
  DisconnectProperties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  WillProperties,
} from "./properties.js";

// MQTT 5.0 packet shapes, as decode(bytes, 5) returns them and encode(packet, 5) takes them.
// Property names are MQTT.js/mqtt-packet's; `properties` is absent on decode when empty.

/** CONNECT (MQTT 5): `cleanSession` is Clean Start (3.1.2.4). */
export interface ConnectPacket5 {
  type: "connect";
  clientId: string;
  cleanSession: boolean;
  keepalive: number;
  will?: {
    topic: string;
    payload: Uint8Array;
    qos: QoS;
    retain: boolean;
    properties?: WillProperties;
  };
  username?: string;
  /** MQTT 5 allows a password without a user name. */
  password?: Uint8Array;
  properties?: ConnectProperties;
}

/** CONNACK (MQTT 5): a reason code in place of 3.1.1's return code. */
export interface ConnackPacket5 {
  type: "connack";
  sessionPresent: boolean;
  reasonCode: number;
  properties?: ConnackProperties;
}

/** PUBLISH (MQTT 5). `topic` may be empty when `properties.topicAlias` is set. */
export interface PublishPacket5 extends PublishPacket {
  properties?: PublishProperties;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP (MQTT 5); `reasonCode` 0 when the short form omits it. */
export interface AckPacket5 {
  type: "puback" | "pubrec" | "pubrel" | "pubcomp";
  packetId: number;
  reasonCode: number;
  properties?: AckProperties;
}

/** One subscription of an MQTT 5 SUBSCRIBE with its options (3.8.3.1). */
export interface Subscription5 {
  topicFilter: string;
  qos: QoS;
  /** Do not send my own publications back (refused on a shared subscription). */
  noLocal: boolean;
  retainAsPublished: boolean;
  /** 0: send retained on subscribe; 1: only if new; 2: never. */
  retainHandling: 0 | 1 | 2;
}

/** SUBSCRIBE (MQTT 5). */
export interface SubscribePacket5 {
  type: "subscribe";
  packetId: number;
  subscriptions: Subscription5[];
  properties?: SubscribeProperties;
}

/** SUBACK (MQTT 5): one reason code per filter (granted QoS 0..2 or a refusal ≥ 0x80). */
export interface SubackPacket5 {
  type: "suback";
  packetId: number;
  reasonCodes: number[];
  properties?: AckProperties;
}

/** UNSUBSCRIBE (MQTT 5). */
export interface UnsubscribePacket5 extends UnsubscribePacket {
  properties?: UnsubscribeProperties;
}

/** UNSUBACK (MQTT 5): one reason code per filter. */
export interface UnsubackPacket5 {
  type: "unsuback";
  packetId: number;
  reasonCodes: number[];
  properties?: AckProperties;
}

/** DISCONNECT (MQTT 5); `reasonCode` 0 (normal disconnection) when the short form omits it. */
export interface DisconnectPacket5 {
  type: "disconnect";
  reasonCode: number;
  properties?: DisconnectProperties;
}

/** AUTH (MQTT 5 only); `reasonCode` 0 (success) when the short form omits it. */
export interface AuthPacket {
  type: "auth";
  reasonCode: number;
  properties?: AuthProperties;
}

/** PINGREQ and PINGRESP: a bare fixed header in MQTT 5 too. */
export interface PingPacket {
  type: "pingreq" | "pingresp";
}

/** Any MQTT 5 control packet, as `decode(bytes, 5)` returns it. */
export type Packet5 =
  | ConnectPacket5
  | ConnackPacket5
  | PublishPacket5
  | AckPacket5
  | SubscribePacket5
  | SubackPacket5
  | UnsubscribePacket5
  | UnsubackPacket5
  | DisconnectPacket5
  | AuthPacket
  | PingPacket;

/** CONNECT (MQTT 5) as encode accepts it: strings and payloads may be strings or bytes. */
export interface ConnectInput5 {
  type: "connect";
  clientId: Bytes;
  cleanSession: boolean;
  keepalive: number;
  will?: { topic: Bytes; payload: Bytes; qos: QoS; retain: boolean; properties?: WillProperties };
  username?: Bytes;
  password?: Bytes;
  properties?: ConnectProperties;
}

/** PUBLISH (MQTT 5) as encode accepts it. */
export interface PublishInput5 extends PublishInput {
  properties?: PublishProperties;
}

/** SUBSCRIBE (MQTT 5) as encode accepts it: options default to false, false, 0. */
export interface SubscribeInput5 {
  type: "subscribe";
  packetId: number;
  subscriptions: {
    topicFilter: Bytes;
    qos: QoS;
    noLocal?: boolean;
    retainAsPublished?: boolean;
    retainHandling?: 0 | 1 | 2;
  }[];
  properties?: SubscribeProperties;
}

/** UNSUBSCRIBE (MQTT 5) as encode accepts it. */
export interface UnsubscribeInput5 extends UnsubscribeInput {
  properties?: UnsubscribeProperties;
}

/** What `encode(packet, 5)` accepts; `reasonCode` defaults to 0 where it may be omitted. */
export type PacketInput5 =
  | ConnectInput5
  | ConnackPacket5
  | PublishInput5
  | (Omit<AckPacket5, "reasonCode"> & { reasonCode?: number })
  | SubscribeInput5
  | SubackPacket5
  | UnsubscribeInput5
  | UnsubackPacket5
  | { type: "disconnect"; reasonCode?: number; properties?: DisconnectProperties }
  | { type: "auth"; reasonCode?: number; properties?: AuthProperties }
  | PingPacket;
