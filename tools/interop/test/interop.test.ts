/**
 * One scenario suite, run against every broker in src/brokers.ts with @umqtt/robust on the
 * client side (MQTT.js only where our client cannot yet speak: QoS 2 and MQTT 5 probes, and a
 * second client stealing a session). Each broker's known deviations are expectations here,
 * asserted like everything else; the observations go to results.json (bin/table.ts renders it).
 *
 * The QoS rows are a table: a QoS 2 row is one more entry in QOS_ROWS once the client has it.
 */

import { MQTTClient, type MQTTClientOptions } from "@umqtt/robust";
import { type FaultProxy, startFaultProxy, withTimeout } from "@umqtt/testkit";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKERS, type BrokerTarget, type Running } from "../src/brokers.ts";
import { probeMqtt5 } from "../src/mqtt5-probe.ts";
import { type BrokerResult, type Feature, mergeResults } from "../src/results.ts";

/** Where a broker departs from MQTT 3.1.1 (or lacks an optional feature), as observed. */
interface Expectations {
  /** DUP flag on a QoS 1 message the broker redelivers after a reconnect [MQTT-3.3.1-1]: true. */
  redeliveryDup: boolean;
  /** QoS the broker grants for a QoS 2 subscription: 2. */
  qos2Granted: number;
  /** What a protocol-level-5 CONNECT gets: "connack 0" when the broker speaks MQTT 5. */
  mqtt5: string;
  /** Session present on resuming a session that has no subscriptions [MQTT-3.2.2-2]: true. */
  sessionWithoutSubscriptions: boolean;
  quirks: string[];
}

const EXPECTED: Record<BrokerTarget["name"], Expectations> = {
  aedes: {
    redeliveryDup: false,
    qos2Granted: 2,
    mqtt5: "connack 1",
    sessionWithoutSubscriptions: false,
    quirks: [
      "Redelivers an unacknowledged QoS 1 message after a reconnect with DUP = 0 (MQTT-3.3.1-1 asks for DUP = 1).",
      "Reports session present = 0 to a client whose session has no subscriptions (MQTT-3.2.2-2 asks for 1).",
    ],
  },
  mosquitto: {
    redeliveryDup: true,
    qos2Granted: 2,
    mqtt5: "connack 0",
    sessionWithoutSubscriptions: true,
    quirks: [],
  },
  rabbitmq: {
    redeliveryDup: true,
    qos2Granted: 1,
    mqtt5: "closed",
    sessionWithoutSubscriptions: false,
    quirks: [
      "Reports session present = 0 to a client whose session has no subscriptions (its session is its subscription queue; MQTT-3.2.2-2 asks for 1).",
      "Grants QoS 1 for a QoS 2 subscription (SUBACK 1): QoS 2 is downgraded to 1.",
      "Closes the connection on a protocol-level-5 CONNECT without the CONNACK 1 that MQTT-3.1.2-2 asks for.",
      "In a cluster, with the plugin's default classic subscription queues, a client resuming its session on another node after the session's node died gets session present = 1 and none of its queued messages (the queue is down); quorum queues (`mqtt.durable_queue_type = quorum`) keep it (see tools/testkit's README).",
    ],
  },
};

const QOS_ROWS: { qos: 0 | 1; feature: Feature }[] = [
  { qos: 0, feature: "qos0" },
  { qos: 1, feature: "qos1" },
];

const FAST: MQTTClientOptions = { keepalive: 5, reconnectDelay: 20, maxReconnectDelay: 200 };
const decoder = new TextDecoder();
const run: Record<string, BrokerResult> = {};

/** A robust client that records each connect() result and can wait for the next one. */
class Client extends MQTTClient {
  readonly sessions: boolean[] = [];
  private waiters: ((present: boolean) => void)[] = [];
  override async connect(cleanSession = true, timeout?: number): Promise<boolean> {
    const present = await super.connect(cleanSession, timeout);
    this.sessions.push(present);
    for (const w of this.waiters.splice(0)) w(present);
    return present;
  }
  nextConnect(ms = 10_000): Promise<boolean> {
    return withTimeout(new Promise((r) => this.waiters.push(r)), ms, "a reconnect");
  }
  /** Waits for the next message: its topic, payload text, bytes and flags. */
  async next(ms = 10_000) {
    let got:
      | { topic: string; text: string; bytes: Uint8Array; qos: number; retain: boolean }
      | undefined;
    this.setCallback((topic, msg, info) => {
      got = {
        topic: decoder.decode(topic),
        text: decoder.decode(msg),
        bytes: msg.slice(),
        qos: info.qos,
        retain: info.retain,
      };
    });
    await withTimeout(this.waitMsg(), ms, "a message");
    if (!got) throw new Error("waitMsg() dispatched nothing");
    return got;
  }
}

for (const target of BROKERS) {
  const available = target.available();
  if (!available) {
    if (process.env.CI)
      throw new Error(`${target.name} not installed: CI must run the interop suite on it`);
    console.warn(`${target.name} not installed: skipping its interop suite`);
  }
  describe.skipIf(!available)(`interop: ${target.name}`, () => {
    const expected = EXPECTED[target.name];
    const result: BrokerResult = { version: "", features: {}, quirks: [] };
    let broker: Running;
    const clients: (MQTTClient | MqttClient)[] = [];
    const proxies: FaultProxy[] = [];
    let serial = 0;
    const id = (what: string) => `io-${target.name}-${what}-${++serial}`;
    const client = (what: string, options: MQTTClientOptions = {}, via?: FaultProxy) => {
      const c = new Client(id(what), via ? via.host : broker.host, {
        ...FAST,
        port: via ? via.port : broker.port,
        ...options,
      });
      clients.push(c);
      return c;
    };
    const proxy = async () => {
      const p = await startFaultProxy({ target: { host: broker.host, port: broker.port } });
      proxies.push(p);
      return p;
    };
    const mqttjs = async (options: Parameters<typeof connectAsync>[1] = {}) => {
      const c = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
        reconnectPeriod: 0,
        ...options,
      });
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      result.version = target.version();
      broker = await target.start();
    }, 120_000);
    afterAll(async () => {
      for (const c of clients.splice(0)) {
        await (c instanceof MQTTClient ? c.disconnect() : c.endAsync(true)).catch(() => {});
      }
      await Promise.all(proxies.splice(0).map((p) => p.close()));
      await broker?.close();
      result.features.websocket ??= "not tested yet";
      result.quirks = expected.quirks;
      run[target.name] = result;
    }, 60_000);

    it.each(QOS_ROWS)("QoS $qos both ways", async ({ qos, feature }) => {
      const sub = client(`q${qos}-sub`);
      await sub.connect();
      expect(await sub.subscribe(`io/q${qos}`, qos)).toBe(qos);
      const pub = client(`q${qos}-pub`);
      await pub.connect();
      await pub.publish(`io/q${qos}`, `at ${qos}`, false, qos);
      const m = await sub.next();
      expect(m).toMatchObject({ topic: `io/q${qos}`, text: `at ${qos}`, qos, retain: false });
      result.features[feature] = "yes";
    });

    it("QoS 2 (probed with MQTT.js until the client has it)", async () => {
      const c = await mqttjs({ clientId: id("q2") });
      const [granted] = await c.subscribeAsync("io/q2", { qos: 2 });
      expect(granted?.qos).toBe(expected.qos2Granted);
      result.features.qos2 =
        expected.qos2Granted === 2
          ? "broker: yes; client: soon"
          : `broker grants ${expected.qos2Granted}`;
    });

    it("retained: a later subscriber gets the last retained message, flagged", async () => {
      const pub = client("ret-pub");
      await pub.connect();
      await pub.publish("io/ret", "kept", true, 1);
      const sub = client("ret-sub");
      await sub.connect();
      await sub.subscribe("io/ret", 1);
      expect(await sub.next()).toMatchObject({ text: "kept", retain: true });
      await pub.publish("io/ret", "", true, 1); // clears it
      result.features.retained = "yes";
    });

    it("will: published when the client vanishes", async () => {
      const sub = client("will-sub");
      await sub.connect();
      await sub.subscribe("io/will", 1);
      const p = await proxy();
      const dying = client("will", {}, p);
      dying.setLastWill("io/will", "gone", false, 1);
      await dying.connect();
      p.refuse(true); // it must not come back before the broker acts
      p.dropAll();
      expect(await sub.next()).toMatchObject({ text: "gone", qos: 1 });
      await dying.disconnect();
      result.features.will = "yes";
    });

    it("persistent session: subscriptions and queued QoS 1 messages survive a disconnect", async () => {
      const name = id("ps");
      const first = new Client(name, broker.host, { ...FAST, port: broker.port });
      clients.push(first);
      expect(await first.connect(false)).toBe(false);
      await first.subscribe("io/ps", 1);
      await first.disconnect();
      const pub = client("ps-pub");
      await pub.connect();
      await pub.publish("io/ps", "while away", false, 1);
      const again = new Client(name, broker.host, { ...FAST, port: broker.port });
      clients.push(again);
      expect(await again.connect(false)).toBe(true);
      expect(await again.next()).toMatchObject({ text: "while away", qos: 1 });
      result.features.session = "yes";
    });

    it("session present for a resumed session without subscriptions", async () => {
      const name = id("nosubs");
      const first = new Client(name, broker.host, { ...FAST, port: broker.port });
      clients.push(first);
      expect(await first.connect(false)).toBe(false);
      await first.disconnect();
      const again = new Client(name, broker.host, { ...FAST, port: broker.port });
      clients.push(again);
      expect(await again.connect(false)).toBe(expected.sessionWithoutSubscriptions);
    });

    it("reconnect: an unacknowledged QoS 1 publish is re-sent with DUP = 1 and its id, and delivered", async () => {
      const sub = client("dup-sub");
      await sub.connect();
      await sub.subscribe("io/dup", 1);
      const p = await proxy();
      const pub = client("dup-pub", {}, p);
      await pub.connect(false);
      p.blackhole(true);
      const sent = pub.publish("io/dup", "again", false, 1);
      const first = await p.waitForPacket((r) => r.dir === "up" && r.packet.type === "publish");
      p.dropAll();
      p.blackhole(false);
      await withTimeout(sent, 10_000, "the re-sent publish's PUBACK");
      const resent = p.tap.filter((r) => r.packet.type === "publish" && r.conn > first.conn);
      expect(resent.length).toBe(1);
      const [a, b] = [first.packet, resent[0]?.packet] as { dup: boolean; packetId?: number }[];
      expect(b).toMatchObject({ dup: true, packetId: a?.packetId });
      expect(await sub.next()).toMatchObject({ text: "again" });
      result.features.dupResend = "yes";
    });

    it("redelivery: the broker re-sends an unacknowledged QoS 1 message after a reconnect", async () => {
      const pub = client("redeliver-pub");
      await pub.connect();
      const p = await proxy();
      const sub = client("redeliver-sub", {}, p);
      await sub.connect(false);
      await sub.subscribe("io/redeliver", 1);
      await pub.publish("io/redeliver", "unacked", false, 1);
      // The subscriber never takes it, so it never PUBACKs it.
      const first = await p.waitForPacket((r) => r.dir === "down" && r.packet.type === "publish");
      const reconnected = sub.nextConnect();
      p.dropAll();
      expect(await reconnected).toBe(true);
      const again = await p.waitForPacket(
        (r) => r.dir === "down" && r.packet.type === "publish" && r.conn > first.conn,
      );
      expect((again.packet as { dup: boolean }).dup).toBe(expected.redeliveryDup);
      expect((await sub.next()).text).toBe("unacked");
    });

    it("resubscribe: a session lost on the broker gets its subscriptions back", async () => {
      const p = await proxy();
      const sub = client("resub", {}, p);
      await sub.connect(false);
      await sub.subscribe("io/resub", 1);
      p.refuse(true);
      p.dropAll();
      // Another connection with the same id and a clean session ends the broker's session.
      const thief = await mqttjs({ clientId: sub.clientId, clean: true });
      await thief.endAsync();
      const reconnected = sub.nextConnect();
      p.refuse(false);
      expect(await reconnected).toBe(false);
      const pub = client("resub-pub");
      await pub.connect();
      // The renewal SUBSCRIBE goes out first on the new connection; its SUBACK is awaited here.
      await p.waitForPacket((r) => r.dir === "down" && r.packet.type === "suback" && r.conn > 1);
      await pub.publish("io/resub", "back", false, 1);
      expect((await sub.next()).text).toBe("back");
      result.features.resubscribe = "yes";
    });

    it("a 1 MiB QoS 1 payload arrives intact", async () => {
      const payload = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
      const sub = client("big-sub", { maxQueuedBytes: 4 << 20 });
      await sub.connect();
      await sub.subscribe("io/big", 1);
      const pub = client("big-pub");
      await pub.connect();
      await pub.publish("io/big", payload, false, 1);
      const m = await sub.next(20_000);
      expect(m.bytes.length).toBe(payload.length);
      expect(Buffer.from(m.bytes).equals(Buffer.from(payload))).toBe(true);
      result.features.large = "yes";
    });

    it("200 subscriptions on one connection, each delivering", async () => {
      const sub = client("many-sub");
      await sub.connect();
      const granted = await Promise.all(
        Array.from({ length: 200 }, (_, i) => sub.subscribe(`io/many/${i}`, 1)),
      );
      expect(granted.every((g) => g === 1)).toBe(true);
      const pub = client("many-pub");
      await pub.connect();
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => pub.publish(`io/many/${i}`, String(i), false, 1)),
      );
      const seen = new Set<string>();
      while (seen.size < 200) seen.add((await sub.next()).topic);
      expect(seen.size).toBe(200);
      result.features.manySubs = "yes";
    }, 60_000);

    it("MQTT 5 (a raw protocol-level-5 CONNECT)", async () => {
      const answer = await probeMqtt5(broker.host, broker.port);
      expect(answer).toBe(expected.mqtt5);
      result.features.mqtt5 = answer === "connack 0" ? "broker: yes; client: soon" : "no";
    });
  });
}

afterAll(() => {
  if (Object.keys(run).length > 0) mergeResults(run);
});
