/**
 * Handlers and MQTT 5 subscription identifiers against a real mosquitto 2.0.11, which sends a
 * message matching two overlapping subscriptions once per subscription, each copy with that
 * subscription's identifier: routing by identifier runs each handler once per message, while
 * without identifiers each copy is routed by topic and reaches every matching handler.
 */
import { type Mosquitto, startMosquitto, text, withTimeout } from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { connectAsync } from "mqtt";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { MQTTClient } from "../../src/index.js";

describeMosquitto("MQTT 5 handlers and subscription identifiers (mosquitto)", () => {
  let broker: Mosquitto;
  const clients: MQTTClient[] = [];
  const run = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  /** Runs checkMsg() until `done()` or the safety net. */
  async function pump(c: MQTTClient, done: () => boolean): Promise<void> {
    await withTimeout(
      (async () => {
        while (!done()) await c.waitMsg();
      })(),
      5000,
      "the handlers",
    );
  }

  async function overlap(ids: boolean) {
    const base = `sid-${run}-${ids ? "ids" : "topics"}`;
    const c = new MQTTClient(`h-${base}`, broker.host, {
      port: broker.port,
      protocolVersion: 5,
      keepalive: 0,
    });
    clients.push(c);
    const calls: string[] = [];
    await c.connect(true);
    await c.subscribe(
      `${base}/#`,
      ([, msg]) => {
        calls.push(`wide ${text(msg)}`);
      },
      1,
      ids ? { subscriptionIdentifier: 1 } : undefined,
    );
    await c.subscribe(
      `${base}/a`,
      ([, msg]) => {
        calls.push(`narrow ${text(msg)}`);
      },
      1,
      ids ? { subscriptionIdentifier: 2 } : undefined,
    );
    const them = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await them.publishAsync(`${base}/a`, "both", { qos: 1 });
    await them.publishAsync(`${base}/b`, "one", { qos: 1 });
    await them.publishAsync(`${base}/end`, "end", { qos: 1 });
    await them.endAsync();
    await pump(c, () => calls.includes("wide end"));
    return calls;
  }

  it("with identifiers: each handler runs once per message", async () => {
    const calls = await overlap(true);
    expect([...calls].sort()).toEqual(["narrow both", "wide both", "wide end", "wide one"]);
  });

  it("without identifiers: each of mosquitto's two copies reaches both matching handlers", async () => {
    const calls = await overlap(false);
    expect([...calls].sort()).toEqual([
      "narrow both",
      "narrow both",
      "wide both",
      "wide both",
      "wide end",
      "wide one",
    ]);
  });
});
