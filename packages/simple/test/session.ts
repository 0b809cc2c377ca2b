/**
 * Test helper: a simple MQTTClient on a fresh {@link ScriptedBroker} (testkit), with the
 * broker's end of its connection as `link`.
 */
import { type MemoryConnection, ScriptedBroker, type ScriptedLink } from "@umqtt/testkit";
import { MQTTClient, type MQTTClientOptions } from "../src/client.js";

export interface Session {
  client: MQTTClient;
  broker: ScriptedBroker;
  link: ScriptedLink;
  conn: MemoryConnection;
}

/** A client on a fresh scripted broker, connection opened but CONNACK not sent yet. */
export async function opening(
  options: MQTTClientOptions = {},
  clientId = "cid",
  cleanSession = true,
): Promise<Session & { connected: Promise<boolean> }> {
  const broker = new ScriptedBroker();
  const client = new MQTTClient(clientId, "memory", {
    keepalive: 0,
    ...options,
    transport: broker.factory,
  });
  const next = broker.nextLink();
  const connected = client.connect(cleanSession);
  const link = await next;
  return { client, broker, link, conn: link.conn, connected };
}

/** A connected client (CONNACK accepted) with the broker's end; CONNECT already taken. */
export async function connected(options: MQTTClientOptions = {}): Promise<Session> {
  const session = await opening(options);
  await session.link.accept();
  await session.connected;
  return session;
}
