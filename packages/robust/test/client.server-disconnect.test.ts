/**
 * MQTT 5 server DISCONNECTs on the scripted broker, for the reasons a real mosquitto 2.0.11
 * cannot produce (it closes a taken-over session's connection without DISCONNECT 0x8E): robust
 * reconnects only when a new connection may cure the reason, and reconnects with the same
 * connect properties.
 */
import { ScriptedBroker, type ScriptedLink, turns, withTimeout } from "@umqtt/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { MQTTClient, ServerDisconnectError } from "../src/index.js";

const FAST = { keepalive: 0, reconnectDelay: 5, maxReconnectDelay: 20, connectTimeout: 1000 };
/** DISCONNECT (MQTT 5) with a reason code and no properties. */
const disconnect = (reason: number) => Uint8Array.of(0xe0, 0x01, reason);

const clients: MQTTClient[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
});

async function up(): Promise<{ client: MQTTClient; broker: ScriptedBroker; link: ScriptedLink }> {
  const broker = new ScriptedBroker();
  const client = new MQTTClient("sd", "memory", {
    ...FAST,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 60, userProperties: { k: "v" } },
    transport: broker.factory,
  });
  clients.push(client);
  const connecting = client.connect(false);
  const link = await broker.link(0);
  await link.accept();
  await connecting;
  return { client, broker, link };
}

describe("a server DISCONNECT (MQTT 5)", () => {
  it("0x8E session taken over: no reconnect; the pending wait rejects with the reason", async () => {
    const { client, broker, link } = await up();
    const waiting = client
      .messages()
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    link.send(disconnect(0x8e));
    const err = await withTimeout(waiting, 2000, "the pending wait");
    expect(err).toBeInstanceOf(ServerDisconnectError);
    expect(err).toMatchObject({ code: "ERR_SERVER_DISCONNECT", reasonCode: 0x8e });
    // Several backoff delays pass without a new connection.
    await new Promise((r) => setTimeout(r, 5 * FAST.maxReconnectDelay));
    await turns();
    expect(broker.attempts).toBe(1);
    expect(client.isConnected()).toBe(false);
  });

  for (const [reason, name] of [
    [0x8b, "server shutting down"],
    [0x98, "administrative action"],
  ] as const) {
    it(`0x${reason.toString(16)} ${name}: reconnects with the same connect properties`, async () => {
      const { client, broker, link } = await up();
      const first = link.all("connect")[0];
      link.send(disconnect(reason));
      const again = await broker.link(1);
      const connect = await again.next("connect");
      // The property block is byte for byte the first one (session expiry kept).
      expect(first?.properties?.length).toBeGreaterThan(5);
      expect(connect.properties).toEqual(first?.properties);
      expect(connect.cleanSession).toBe(false);
      again.connack(true);
      await withTimeout(
        (async () => {
          while (!client.isConnected()) await turns(1);
        })(),
        2000,
        "connected again",
      );
    });
  }
});
