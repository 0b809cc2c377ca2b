export type {
  ConnackProperties,
  ConnectProperties,
  PublishProperties,
  QoS,
  UserProperties,
  WillProperties,
} from "@umqtt/codec";
export { topicMatches, validateTopicFilter } from "@umqtt/codec";
export { MQTTClient } from "./client.js";
export type { Message, MessageCallback, MessageInfo } from "./delivery.js";
export {
  ConnectionError,
  ErrorCode,
  InvalidArgumentError,
  isConnectionError,
  isRetryable,
  MQTTException,
  MqttClientError,
  notConnected,
  ServerDisconnectError,
} from "./errors.js";
// The layer contract (ARCHITECTURE.md): how @umqtt/robust and @umqtt/default extend this
// client. Applications do not need these.
export type { Core, Layer } from "./layer.js";
export type { SubscribeOptions } from "./mqtt5.js";
export type { MQTTClientOptions } from "./options.js";
export { checkOptionKeys } from "./options.js";
export { serverTransport, type TransportChoice } from "./server-transport.js";
export { parseServer, type ServerTarget } from "./server-url.js";
export type { SocketOptions } from "./socket.js";
export { socketTransport } from "./tcp.js";
export type { Transport, TransportEvents, TransportFactory } from "./transport.js";
export {
  checkBoolean,
  checkFilter,
  checkInteger,
  checkPublish,
  checkSubscribe,
  describe,
  fail,
  mustBe,
} from "./validate.js";
export { Waiters } from "./waiters.js";
export type {
  WebSocketConstructor,
  WebSocketEvent,
  WebSocketLike,
  WebSocketListener,
  WebSocketOptions,
} from "./websocket.js";
export { webSocketTransport } from "./websocket.js";
