/**
 * The robust client over WebSocket against aedes's WebSocket server (the `ws` package):
 * reconnect after the server restarts (no sessions left: re-subscribe), QoS 1 publishes made
 * during the outage delivered after it, over ws:// and over wss:// with the test certificates.
 */
import { type AedesBroker, type CertSet, generateCerts, startAedes } from "@umqtt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { MQTTClient, type MQTTClientOptions } from "../../src/index.js";
import { clientPool, collect, FAST } from "./helpers.js";

const own = clientPool();

function suite(
  name: string,
  start: () => Promise<{ broker: AedesBroker; tls: MQTTClientOptions }>,
) {
  describe(name, () => {
    let broker: AedesBroker;
    let tls: MQTTClientOptions;
    beforeAll(async () => {
      ({ broker, tls } = await start());
    });
    afterAll(() => broker.close());

    it("reconnects after the WebSocket server restarts, re-subscribes, and delivers what it published meanwhile", async () => {
      const options = { ...FAST, ...tls, webSocket: WebSocket };
      const sub = own(new MQTTClient(`ws-sub-${name}`, broker.url, options));
      const pub = own(new MQTTClient(`ws-pub-${name}`, broker.url, options));
      expect(await sub.connect(false)).toBe(false);
      await pub.connect(false);
      expect(await sub.subscribe("robust/ws", 1)).toBe(1);
      const got = collect(sub);
      await pub.publish("robust/ws", "1", false, 1);
      await got.until(1, 5000);

      // The restarted broker has no sessions and no subscriptions.
      await broker.restart();
      // Made while down: waits offline, goes out after the re-subscription (robust's order).
      const during = sub.publish("robust/ws", "2", false, 1);
      await during;
      await got.until(2, 10_000);
      // The re-subscription is in place: the other client's message arrives too.
      await pub.publish("robust/ws", "3", false, 1);
      await got.until(3, 10_000);
      expect([...got.distinct].sort()).toEqual([1, 2, 3]);
      expect(sub.isConnected()).toBe(true);
      expect(broker.url.startsWith(tls.sslParams ? "wss://" : "ws://")).toBe(true);
    });
  });
}

suite("ws://", async () => ({ broker: await startAedes({ webSocket: true }), tls: {} }));

let certs: CertSet;
suite("wss://", async () => {
  certs = await generateCerts();
  const broker = await startAedes({
    webSocket: true,
    tls: { key: certs.serverKeyPem, cert: certs.serverCertPem },
  });
  return { broker, tls: { sslParams: { ca: certs.caPem } } };
});
