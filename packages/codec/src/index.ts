export { encodeAck } from "./ack.js";
export { decode } from "./decode.js";
export { Decoder, type DecoderOptions } from "./decoder.js";
export { DISCONNECT, encode, PINGREQ, PINGRESP } from "./encode.js";
export { CodecErrorCode, errorCodes, MqttCodecError } from "./errors.js";
export {
  type AckPacket,
  type Bytes,
  type ConnackPacket,
  type ConnectInput,
  type ConnectPacket,
  type EmptyPacket,
  type Packet,
  type PacketInput,
  PacketType,
  type PacketTypeName,
  type PublishInput,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type SubscribeInput,
  type SubscribePacket,
  type UnsubscribeInput,
  type UnsubscribePacket,
} from "./packet-types.js";
export type {
  AckPacket5,
  AuthPacket,
  ConnackPacket5,
  ConnectInput5,
  ConnectPacket5,
  DisconnectPacket5,
  Packet5,
  PacketInput5,
  PingPacket,
  PublishInput5,
  PublishPacket5,
  SubackPacket5,
  SubscribeInput5,
  SubscribePacket5,
  Subscription5,
  UnsubackPacket5,
  UnsubscribeInput5,
  UnsubscribePacket5,
} from "./packet-types5.js";
export type {
  AckProperties,
  AuthProperties,
  ConnackProperties,
  ConnectProperties,
  DisconnectProperties,
  Properties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  UserProperties,
  WillProperties,
} from "./properties.js";
export { encodePublish } from "./publish.js";
export { setDup, setPacketId } from "./publish-frame.js";
export { encodePublishV5 } from "./publish5.js";
export { reasonName } from "./reason-codes.js";
export { validateString } from "./string.js";
export { topicMatches, validateTopicFilter, validateTopicName } from "./topic.js";
export { MAX_REMAINING_LENGTH } from "./varint.js";
