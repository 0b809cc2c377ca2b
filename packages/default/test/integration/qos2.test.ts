/**
 * Per-topic handlers at QoS 2 against embedded aedes and a real mosquitto: the subscription is
 * granted QoS 2, every handler sees each message exactly once, and the PUBREC of a message goes
 * out only after its async handler finished (seen at the fault proxy's tap), as the PUBACK does
 * at QoS 1. mosquitto 2.0.11 discards QoS 2 publishes beyond 20 awaiting their PUBREL per
 * client (see simple's integration/qos2.test.ts), so its publishers keep 20 in flight.
 */
import {
  deferred,
  type FaultProxy,
  startAedes,
  startFaultProxy,
  startMosquitto,
  text,
  withTimeout,
} from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { connectAsync } from "mqtt";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MQTTClient } from "../../src/index.js";

interface Target {
  host: string;
  port: number;
  stop(): Promise<void>;
}

const brokers: {
  name: string;
  describe: (name: string, fn: () => void) => void;
  start(): Promise<Target>;
}[] = [
  {
    name: "aedes",
    describe: (name, fn) => describe(name, fn),
    async start() {
      const b = await startAedes();
      return { host: b.host, port: b.port, stop: () => b.close() };
    },
  },
  {
    name: "mosquitto",
    describe: (name, fn) => describeMosquitto(name, fn),
    async start() {
      const m = await startMosquitto();
      return { host: m.host, port: m.port, stop: () => m.stop() };
    },
  },
];

for (const kind of brokers) {
  kind.describe(`handlers at QoS 2 against ${kind.name}`, () => {
    let target: Promise<Target> | undefined;
    const broker = () => (target ??= kind.start());
    const clients: MQTTClient[] = [];
    const proxies: FaultProxy[] = [];
    let seq = 0;
    const run = Math.random().toString(36).slice(2, 8);
    const id = (label: string) => `${label}-${run}-${++seq}`;
    const maxInflight = kind.name === "mosquitto" ? 20 : 32;

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
      await Promise.allSettled(proxies.splice(0).map((p) => p.close()));
    });
    afterAll(async () => {
      if (target) await (await target).stop();
    });

    async function client(via: { host: string; port: number }, label: string) {
      const c = new MQTTClient(id(label), via.host, {
        port: via.port,
        connectTimeout: 5000,
        maxInflight,
      });
      clients.push(c);
      await c.connect(true);
      return c;
    }

    /** Pulls messages until the client closes, so handlers run. */
    function pump(c: MQTTClient): void {
      void (async () => {
        for (;;) {
          try {
            await c.waitMsg();
          } catch {
            return;
          }
        }
      })();
    }

    it("a handler subscribed at QoS 2 gets every QoS 2 message exactly once, from us and from MQTT.js", async () => {
      const b = await broker();
      const t = id("h2");
      const sub = await client(b, "h2-sub");
      const seen: string[] = [];
      const fallback: string[] = [];
      sub.setCallback((_t, m) => void fallback.push(text(m)));
      const total = 120;
      const all = deferred();
      const granted = await sub.subscribe(
        `${t}/+`,
        ([topic, msg]) => {
          seen.push(`${text(topic).slice(t.length + 1)} ${text(msg)}`);
          if (seen.length === total) all.resolve();
        },
        2,
      );
      expect(granted).toBe(2);
      pump(sub);

      const pub = await client(b, "h2-pub");
      const them = await connectAsync(`mqtt://${b.host}:${b.port}`, {
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      try {
        const ours = Array.from({ length: total / 2 }, (_, i) =>
          pub.publish(`${t}/ours`, `${i}`, false, 2),
        );
        for (let i = 0; i < total / 2; i += 20) {
          const batch = Array.from({ length: 20 }, (_, k) => i + k);
          await Promise.all(batch.map((n) => them.publishAsync(`${t}/theirs`, `${n}`, { qos: 2 })));
        }
        await Promise.all(ours);
        await withTimeout(all.promise, 10_000, `${total} handler calls (have ${seen.length})`);
      } finally {
        await them.endAsync();
      }
      // Exactly once each, in publish order per publisher.
      for (const who of ["ours", "theirs"]) {
        expect(seen.filter((s) => s.startsWith(who))).toEqual(
          Array.from({ length: total / 2 }, (_, i) => `${who} ${i}`),
        );
      }
      expect(seen).toHaveLength(total);
      expect(fallback).toEqual([]);
    }, 30_000);

    it("an async handler is awaited before the PUBREC; the PUBREL is then answered", async () => {
      const b = await broker();
      const t = id("slow");
      const proxy = await startFaultProxy({ target: { host: b.host, port: b.port } });
      proxies.push(proxy);
      const sub = await client(proxy, "slow-sub");
      const entered = deferred();
      const release = deferred();
      let calls = 0;
      await sub.subscribe(
        t,
        async () => {
          calls++;
          entered.resolve();
          await release.promise;
        },
        2,
      );
      pump(sub);
      const pub = await client(b, "slow-pub");
      await pub.publish(t, "m", false, 2);
      await withTimeout(entered.promise, 5000, "the handler to start");
      const delivered = await proxy.waitForPacket(
        (r) => r.dir === "down" && r.packet.type === "publish",
      );
      // While the handler runs, the message is not acknowledged.
      const early = proxy.tap.filter((r) => r.packet.type === "pubrec");
      expect(early).toEqual([]);
      release.resolve();
      const rec = await proxy.waitForPacket((r) => r.dir === "up" && r.packet.type === "pubrec");
      const pid = delivered.packet.type === "publish" ? delivered.packet.packetId : -1;
      expect(rec.packet).toMatchObject({ type: "pubrec", packetId: pid });
      await proxy.waitForPacket((r) => r.dir === "up" && r.packet.type === "pubcomp");
      expect(proxy.brokerTap.filter((r) => r.packet.type === "pubrel")).toHaveLength(1);
      // A sentinel after it: the handler ran once.
      const next = deferred();
      await sub.subscribe(`${t}/s`, () => next.resolve(), 2);
      await pub.publish(`${t}/s`, "s", false, 2);
      await withTimeout(next.promise, 5000, "the sentinel");
      expect(calls).toBe(1);
    });
  });
}
