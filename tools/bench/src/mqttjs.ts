import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/**
 * Connects MQTT.js as every bench does: no reconnects, keepalive 60, the given protocol
 * version, plus `extra` options.
 * @example
 * const c = await connectMqttjs(`mqtt://127.0.0.1:${port}`, "bench-1", 5, { autoAssignTopicAlias: true });
 */
export function connectMqttjs(
  url: string,
  clientId: string,
  protocolVersion: 4 | 5,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId,
    reconnectPeriod: 0,
    protocolVersion,
    keepalive: 60,
    ...extra,
  });
}
