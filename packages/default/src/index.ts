// Everything of @umqtt/robust (its errors, types and layer contract), with this package's
// MQTTClient and options in place of robust's.
export * from "@umqtt/robust";
export type { MQTTClientOptions } from "./client.js";
export { MQTTClient } from "./client.js";
export type { Handler } from "./handlers.js";
export { HandlerTable } from "./handlers.js";
export { tlsOptions } from "./tls.js";
export type { CertReqs, SslParams } from "./tls-files.js";
