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
export { MemoryConnection, MemoryServer } from "./memory.js";
export type { SocketOptions } from "./socket.js";
export { socketTransport } from "./tcp.js";
export type { Transport, TransportEvents, TransportFactory } from "./transport.js";
export type {
  WebSocketConstructor,
  WebSocketEvent,
  WebSocketLike,
  WebSocketListener,
  WebSocketOptions,
} from "./websocket.js";
export { webSocketTransport } from "./websocket.js";
