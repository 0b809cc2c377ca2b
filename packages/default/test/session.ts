/**
 * Test helper: a default MQTTClient on a fresh {@link ScriptedBroker} from testkit, connected,
 * with the broker's end of its connection as `peer`.
 */
import { ScriptedBroker, type ScriptedLink, type SubscribePacket } from "@umqtt/testkit";
import { MQTTClient, type MQTTClientOptions } from "../src/index.js";

/** A default client on a scripted broker, connected (CONNACK sent); returns the broker's end. */
export async function connected(
  options: MQTTClientOptions = {},
): Promise<{ client: MQTTClient; broker: ScriptedBroker; peer: ScriptedLink }> {
  const broker = new ScriptedBroker();
  const client = new MQTTClient("test", "memory", {
    reconnectDelay: 5,
    keepalive: 0,
    ...options,
    transport: broker.factory,
  });
  const next = broker.nextLink();
  const connecting = client.connect();
  const peer = await next;
  await peer.accept();
  await connecting;
  return { client, broker, peer };
}

/** Answers the next SUBSCRIBE with `code` (granted QoS, or 0x80) and returns it. */
export async function answerSubscribe(peer: ScriptedLink, code = 0): Promise<SubscribePacket> {
  const sub = await peer.nextOf("subscribe");
  peer.suback(sub.pid, code);
  return sub;
}
