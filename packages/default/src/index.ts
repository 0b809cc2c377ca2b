export type {
  Message,
  MessageCallback,
  MessageInfo,
  PublishProperties,
  QoS,
  SubscribeOptions,
  Transport,
  TransportFactory,
  UserProperties,
} from "@umqtt/robust";
export {
  ConnectionError,
  ErrorCode,
  InvalidArgumentError,
  isConnectionError,
  MQTTException,
  MqttClientError,
} from "@umqtt/robust";
export type { MQTTClientOptions } from "./client.js";
export { MQTTClient } from "./client.js";
export type { Handler } from "./handlers.js";
export { HandlerTable } from "./handlers.js";
export { tlsOptions } from "./tls.js";
export type { CertReqs, SslParams } from "./tls-files.js";
