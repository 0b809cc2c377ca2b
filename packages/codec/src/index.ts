export { encodeAck } from "./ack.js";
export { decode } from "./decode.js";
export { Decoder, type DecoderOptions } from "./decoder.js";
export { DISCONNECT, encode, encodePublish, PINGREQ, PINGRESP } from "./encode.js";
export { CodecErrorCode, MqttCodecError } from "./errors.js";
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
export { setDup, setPacketId } from "./publish-frame.js";
export { validateString } from "./string.js";
export { topicMatches, validateTopicFilter, validateTopicName } from "./topic.js";
export { MAX_REMAINING_LENGTH } from "./varint.js";
