export type {
  ConnackProperties,
  ConnectProperties,
  Message,
  MessageCallback,
  MessageInfo,
  PublishProperties,
  QoS,
  SubscribeOptions,
  Transport,
  TransportFactory,
  UserProperties,
  WillProperties,
} from "@umqtt/simple";
// The layer contract, passed on for @umqtt/default (applications do not need these).
export {
  ConnectionError,
  type Core,
  checkBoolean,
  checkFilter,
  checkInteger,
  checkSubscribe,
  describe,
  ErrorCode,
  fail,
  InvalidArgumentError,
  isConnectionError,
  isRetryable,
  type Layer,
  MQTTException,
  MqttClientError,
  mustBe,
  ServerDisconnectError,
  topicMatches,
  validateTopicFilter,
} from "@umqtt/simple";
export { backoffDelay } from "./backoff.js";
export type { RobustLayer } from "./client.js";
export { MQTTClient } from "./client.js";
export type { OfflineEntry, OfflinePolicy } from "./offline-queue.js";
export { OfflineQueue } from "./offline-queue.js";
export type { MQTTClientOptions } from "./options.js";
export type { Clock, SupervisorState } from "./supervisor.js";
