/** The subscriber under test in a receive metric, ours or MQTT.js, behind one shape. */
import type { MqttClient } from "mqtt";
import { countIterated, countMessages } from "./count-messages.ts";

/** `consume(n)` resolves once `n` more messages arrived; `close` disconnects. */
export interface Subscriber {
  consume(n: number): Promise<void>;
  close(): Promise<void>;
}

/** What our client needs here (the bench loads the built class at run time). */
interface Ours {
  subscribe(topic: string, qos: 0 | 1): Promise<unknown>;
  messages(): AsyncIterable<unknown>;
  disconnect(): Promise<void>;
}

/**
 * Subscribes our connected client to `topic` at `qos`; counts through `messages()`.
 * @example
 * const sub = await subscribeOurs(client, "bench/rx", 0); await sub.consume(10_000);
 */
export async function subscribeOurs(c: Ours, topic: string, qos: 0 | 1): Promise<Subscriber> {
  await c.subscribe(topic, qos);
  return { consume: countIterated(c), close: () => c.disconnect() };
}

/**
 * Subscribes a connected MQTT.js client to `topic` at `qos`; counts its `message` events.
 * @example
 * const sub = await subscribeMqttjs(client, "bench/rx", 0); await sub.consume(10_000);
 */
export async function subscribeMqttjs(
  c: MqttClient,
  topic: string,
  qos: 0 | 1,
): Promise<Subscriber> {
  await c.subscribeAsync(topic, { qos });
  return { consume: countMessages(c), close: () => c.endAsync() };
}
