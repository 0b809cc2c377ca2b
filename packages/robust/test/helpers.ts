/**
 * Test helper: a robust MQTTClient (or a subclass) on a fresh {@link ScriptedBroker} from
 * testkit, connected, with the broker's end of its first connection as `wire`.
 */
import { ScriptedBroker, type ScriptedLink } from "@umqtt/testkit";
import { MQTTClient, type MQTTClientOptions } from "../src/index.js";

/** Options every unit test client gets: no keepalive, near-instant reconnects. */
export const FAST: MQTTClientOptions = { keepalive: 0, reconnectDelay: 1, maxReconnectDelay: 1 };

/** A client of class `Client` connected to a fresh scripted broker (CONNACK answered). */
export async function connected<C extends MQTTClient = MQTTClient>(
  options: MQTTClientOptions = {},
  {
    Client = MQTTClient as unknown as new (
      id: string,
      server: string,
      o: MQTTClientOptions,
    ) => C,
    cleanSession = true,
    sessionPresent = false,
    clientId = "robust-1",
  } = {},
): Promise<{ client: C; broker: ScriptedBroker; wire: ScriptedLink }> {
  const broker = new ScriptedBroker();
  const client = new Client(clientId, "memory", { ...FAST, ...options, transport: broker.factory });
  const up = client.connect(cleanSession);
  const wire = await broker.link(0);
  await wire.accept(sessionPresent);
  await up;
  return { client, broker, wire };
}
