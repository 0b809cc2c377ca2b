export type { QoS } from "@umqtt/codec";
export { topicMatches, validateTopicFilter } from "@umqtt/codec";
export type { Message, MessageCallback, MessageInfo, MQTTClientOptions } from "./client.js";
export { MQTTClient } from "./client.js";
export {
  ConnectionError,
  ErrorCode,
  InvalidArgumentError,
  isConnectionError,
  MQTTException,
  MqttClientError,
} from "./errors.js";
export { RequestKind } from "./inflight.js";
export type { SocketOptions } from "./socket.js";
export { socketTransport } from "./socket.js";
export type { Transport, TransportEvents, TransportFactory } from "./transport.js";
