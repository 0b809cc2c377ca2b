export type {
  Message,
  MessageCallback,
  MessageInfo,
  QoS,
  Transport,
  TransportFactory,
} from "@umqtt/simple";
export {
  ConnectionError,
  ErrorCode,
  InvalidArgumentError,
  isConnectionError,
  MQTTException,
  MqttClientError,
  topicMatches,
  validateTopicFilter,
} from "@umqtt/simple";
export { backoffDelay } from "./backoff.js";
export type { MQTTClientOptions } from "./client.js";
export { MQTTClient } from "./client.js";
export type { OfflineEntry, OfflinePolicy } from "./offline-queue.js";
export { OfflineQueue } from "./offline-queue.js";
