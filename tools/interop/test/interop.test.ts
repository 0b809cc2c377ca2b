/**
 * One scenario suite, run against every broker in src/brokers.ts with @umqtt/robust on the
 * client side (MQTT.js only for a second client stealing a session). The core scenarios
 * (QoS 0/1/2 both ways, retained, will) run twice per broker: over TCP and over WebSocket.
 * Each broker's known deviations are expectations here, asserted like everything else; the
 * observations go to results.json (bin/table.ts renders it).
 */

import {
  type ConnackProperties,
  MQTTClient,
  type MQTTClientOptions,
  type PublishProperties,
} from "@umqtt/robust";
import { type FaultProxy, settle, startFaultProxy, withTimeout } from "@umqtt/testkit";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { BROKERS, type BrokerTarget, type Running } from "../src/brokers.ts";
import { probeMqtt5 } from "../src/mqtt5-probe.ts";
import { type BrokerResult, type Feature, mergeResults } from "../src/results.ts";
import { startTap5, type Tap5 } from "../src/tap5.ts";

/** How a broker that does not speak MQTT 5 refuses a protocol-level-5 CONNECT. */
interface Mqtt5Refusal {
  /** What the raw probe sees on the wire (src/mqtt5-probe.ts). */
  wire: string;
  /** The typed error our client's connect() rejects with. */
  error: { name: string; code: string | number; message: string };
}

/** Where a broker departs from MQTT 3.1.1 (or lacks an optional feature), as observed. */
interface Expectations {
  /** DUP flag on a QoS 1 message the broker redelivers after a reconnect [MQTT-3.3.1-1]: true. */
  redeliveryDup: boolean;
  /**
   * QoS 2: the QoS the broker grants a QoS 2 subscription (2), and the packet it answers a QoS 2
   * PUBLISH with ("pubrec", MQTT 3.1.1 §4.3.3).
   */
  qos2: { granted: 1 | 2; ack: "pubrec" | "puback" };
  /** A protocol-level-5 CONNECT: accepted with these CONNACK properties, or refused as given. */
  mqtt5: { connack: ConnackProperties } | Mqtt5Refusal;
  /** Session present on resuming a session that has no subscriptions [MQTT-3.2.2-2]: true. */
  sessionWithoutSubscriptions: boolean;
  /** The WebSocket endpoint's path, and what a connect to another path gets. */
  webSocket: { path: string; otherPath: "connects" | { httpStatus: number } };
  /** The cells of the QoS 2, MQTT 5 and WebSocket columns. */
  cells: { qos2: string; mqtt5: string; websocket: string };
  quirks: string[];
}

const EXPECTED: Record<BrokerTarget["name"], Expectations> = {
  aedes: {
    redeliveryDup: false,
    qos2: { granted: 2, ack: "pubrec" },
    mqtt5: {
      wire: "connack 1",
      error: {
        name: "MQTTException",
        code: 1,
        message:
          "MQTTException 1: the broker refused the connection (CONNACK 1: unacceptable protocol version)",
      },
    },
    sessionWithoutSubscriptions: false,
    // testkit's WebSocket server in front of aedes (tools/testkit), not aedes itself, sets these.
    webSocket: { path: "/mqtt", otherPath: { httpStatus: 400 } },
    cells: {
      qos2: "yes",
      mqtt5: "no (3.1.1 CONNACK 1; client: MQTTException 1)",
      websocket: "yes (`/mqtt`)",
    },
    quirks: [
      "Redelivers an unacknowledged QoS 1 message after a reconnect with DUP = 0 (MQTT-3.3.1-1 asks for DUP = 1).",
      "Reports session present = 0 to a client whose session has no subscriptions (MQTT-3.2.2-2 asks for 1).",
      "No MQTT 5: answers a protocol-level-5 CONNECT with the 3.1.1 CONNACK `20 02 00 01` (return code 1, as MQTT-3.1.2-2 asks), which MQTT 5 cannot frame (its CONNACK has a property block): our client reads it as the 3.1.1 refusal it is, and connect() rejects with `MQTTException` 1 (unacceptable protocol version).",
    ],
  },
  mosquitto: {
    redeliveryDup: true,
    qos2: { granted: 2, ack: "pubrec" },
    // Its defaults: max_topic_alias 10, max_inflight_messages 20.
    mqtt5: { connack: { topicAliasMaximum: 10, receiveMaximum: 20 } },
    sessionWithoutSubscriptions: true,
    webSocket: { path: "/mqtt", otherPath: "connects" },
    cells: { qos2: "yes", mqtt5: "yes", websocket: "yes (any path)" },
    quirks: [],
  },
  rabbitmq: {
    redeliveryDup: true,
    qos2: { granted: 1, ack: "puback" },
    mqtt5: {
      wire: "closed",
      error: {
        name: "ConnectionError",
        code: "ERR_CONNECTION_CLOSED",
        message: "connection closed by the peer",
      },
    },
    sessionWithoutSubscriptions: false,
    webSocket: { path: "/ws", otherPath: { httpStatus: 404 } },
    cells: {
      qos2: "downgraded to 1",
      mqtt5: "no (closes; client: ERR_CONNECTION_CLOSED)",
      websocket: "yes (Web MQTT, `/ws` only)",
    },
    quirks: [
      "Reports session present = 0 to a client whose session has no subscriptions (its session is its subscription queue; MQTT-3.2.2-2 asks for 1).",
      "Downgrades QoS 2 to 1: grants QoS 1 for a QoS 2 subscription (SUBACK 1) and answers a QoS 2 PUBLISH with a PUBACK where MQTT 3.1.1 §4.3.3 asks for a PUBREC, then delivers the message at QoS 1. Our client's QoS 2 `publish()` then rejects with `ERR_PROTOCOL` (not retried: the broker took the message at QoS 1) instead of waiting for a PUBREC that never comes.",
      "Closes the connection on a protocol-level-5 CONNECT (it logs `MQTT cannot parse a frame`) without the CONNACK 1 that MQTT-3.1.2-2 asks for; our client's connect() rejects with `ConnectionError` `ERR_CONNECTION_CLOSED`.",
      "In a cluster, with the plugin's default classic subscription queues, a client resuming its session on another node after the session's node died gets session present = 1 and none of its queued messages (the queue is down); quorum queues (`mqtt.durable_queue_type = quorum`) keep it (see tools/testkit's README).",
    ],
  },
};

const QOS_ROWS: { qos: 0 | 1 | 2; feature: Feature }[] = [
  { qos: 0, feature: "qos0" },
  { qos: 1, feature: "qos1" },
  { qos: 2, feature: "qos2" },
];

/** The transports the core scenarios run over; a WebSocket scenario's result goes to one column. */
const TRANSPORTS = ["tcp", "ws"] as const;
type Via = (typeof TRANSPORTS)[number];
const WS_SCENARIOS = ["qos0", "qos1", "qos2", "retained", "will"] as const;

const FAST: MQTTClientOptions = { keepalive: 5, reconnectDelay: 20, maxReconnectDelay: 200 };
const decoder = new TextDecoder();
const run: Record<string, BrokerResult> = {};

/** A `ws` WebSocket that remembers its instances, so a test can cut one (no close frame). */
function trackedWebSocket() {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  return { Tracked, sockets };
}

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
  /** Waits for the next message: its topic, payload text, bytes, flags and properties. */
  async next(ms = 10_000) {
    let got:
      | {
          topic: string;
          text: string;
          bytes: Uint8Array;
          qos: number;
          retain: boolean;
          properties?: PublishProperties;
        }
      | undefined;
    this.setCallback((topic, msg, info) => {
      got = {
        topic: decoder.decode(topic),
        text: decoder.decode(msg),
        bytes: msg.slice(),
        qos: info.qos,
        retain: info.retain,
        properties: info.properties,
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
    const overWs = new Set<string>();
    let broker: Running;
    const clients: (MQTTClient | MqttClient)[] = [];
    const proxies: FaultProxy[] = [];
    const taps: Tap5[] = [];
    let serial = 0;
    const id = (what: string) => `io-${target.name}-${what}-${++serial}`;
    const client = (what: string, options: MQTTClientOptions = {}, via?: FaultProxy | Tap5) => {
      const c = new Client(id(what), via ? via.host : broker.host, {
        ...FAST,
        port: via ? via.port : broker.port,
        ...options,
      });
      clients.push(c);
      return c;
    };
    /** A client over WebSocket, to the broker's WebSocket endpoint (or `url`). */
    const wsClient = (
      what: string,
      options: MQTTClientOptions = {},
      url = broker.wsUrl,
    ): Client => {
      const c = new Client(id(what), url, { ...FAST, webSocket: WebSocket, ...options });
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
    /** Records a core scenario's success, in its own column (TCP) or the WebSocket column. */
    const passed = (via: Via, feature: (typeof WS_SCENARIOS)[number]) => {
      if (via === "ws") overWs.add(feature);
      else result.features[feature] = feature === "qos2" ? expected.cells.qos2 : "yes";
    };

    beforeAll(async () => {
      result.version = target.version();
      broker = await target.start();
    }, 120_000);
    afterAll(async () => {
      for (const c of clients.splice(0)) {
        await (c instanceof MQTTClient ? c.disconnect() : c.endAsync(true)).catch(() => {});
      }
      await Promise.all([...proxies.splice(0), ...taps.splice(0)].map((p) => p.close()));
      await broker?.close();
      if (WS_SCENARIOS.every((f) => overWs.has(f))) {
        result.features.websocket = expected.cells.websocket;
      }
      result.quirks = expected.quirks;
      run[target.name] = result;
    }, 60_000);

    for (const via of TRANSPORTS) {
      // Over TCP the publisher goes through a fault proxy, whose tap shows the broker's answers.
      const publisher = async (what: string) => {
        if (via === "ws") return { pub: wsClient(what), tap: undefined };
        const p = await proxy();
        return { pub: client(what, {}, p), tap: p };
      };
      const subscriber = (what: string) => (via === "ws" ? wsClient(what) : client(what));

      it.each(QOS_ROWS)(`${via}: QoS $qos both ways`, async ({ qos, feature }) => {
        const topic = `io/${via}/q${qos}`;
        const granted = qos === 2 ? expected.qos2.granted : qos;
        const sub = subscriber(`q${qos}-sub`);
        await sub.connect();
        expect(await sub.subscribe(topic, qos)).toBe(granted);
        const { pub, tap } = await publisher(`q${qos}-pub`);
        await pub.connect();
        const sent = settle(pub.publish(topic, `at ${qos}`, false, qos));
        const m = await sub.next();
        expect(m).toMatchObject({ topic, text: `at ${qos}`, qos: granted, retain: false });
        if (qos < 2 || expected.qos2.ack === "pubrec") {
          await withTimeout(sent.done, 10_000, "the publish's acknowledgement");
          expect(sent.state).toBe("resolved");
          if (tap && qos === 2) {
            const answers = tap.brokerTap.map((r) => r.packet.type);
            expect(answers).toEqual(["connack", "pubrec", "pubcomp"]);
          }
        } else {
          // The broker answered the QoS 2 PUBLISH with a PUBACK: the publish fails at once.
          if (tap) {
            const ack = await tap.waitForPacket(
              (r) => r.dir === "down" && r.packet.type === "puback",
            );
            const publish = tap.tap.find((r) => r.packet.type === "publish")?.packet;
            expect(publish).toMatchObject({ qos: 2 });
            expect(ack.packet).toMatchObject({
              packetId: (publish as { packetId: number }).packetId,
            });
            expect(tap.brokerTap.map((r) => r.packet.type)).toEqual(["connack", "puback"]);
          }
          await withTimeout(sent.done, 10_000, "the QoS 2 publish's refusal");
          expect(sent.state).toBe("rejected");
          expect(sent.error).toMatchObject({ code: "ERR_PROTOCOL" });
        }
        passed(via, feature as (typeof WS_SCENARIOS)[number]);
      });

      it(`${via}: retained: a later subscriber gets the last retained message, flagged`, async () => {
        const topic = `io/${via}/ret`;
        const { pub } = await publisher("ret-pub");
        await pub.connect();
        await pub.publish(topic, "kept", true, 1);
        const sub = subscriber("ret-sub");
        await sub.connect();
        await sub.subscribe(topic, 1);
        expect(await sub.next()).toMatchObject({ text: "kept", retain: true });
        await pub.publish(topic, "", true, 1); // clears it
        passed(via, "retained");
      });

      it(`${via}: will: published when the client vanishes`, async () => {
        const topic = `io/${via}/will`;
        const sub = subscriber("will-sub");
        await sub.connect();
        await sub.subscribe(topic, 1);
        let dying: Client;
        let vanish: () => void;
        if (via === "ws") {
          // Cut the TCP connection under the WebSocket (no close frame, no DISCONNECT); the long
          // backoff keeps the client from coming back before the broker acts.
          const { Tracked, sockets } = trackedWebSocket();
          dying = wsClient("will", { webSocket: Tracked, reconnectDelay: 60_000 });
          vanish = () => {
            for (const s of sockets) s.terminate();
          };
        } else {
          const p = await proxy();
          dying = client("will", {}, p);
          vanish = () => {
            p.refuse(true); // it must not come back before the broker acts
            p.dropAll();
          };
        }
        dying.setLastWill(topic, "gone", false, 1);
        await dying.connect();
        vanish();
        expect(await sub.next()).toMatchObject({ text: "gone", qos: 1 });
        await dying.disconnect();
        passed(via, "will");
      });
    }

    it("ws: another path", async () => {
      const { path, otherPath } = expected.webSocket;
      expect(new URL(broker.wsUrl).pathname).toBe(path);
      const url = new URL(broker.wsUrl);
      url.pathname = "/elsewhere";
      const c = wsClient("path", {}, url.href);
      if (otherPath === "connects") {
        expect(await c.connect()).toBe(false);
      } else {
        await expect(c.connect()).rejects.toMatchObject({
          name: "ConnectionError",
          code: "ERR_CONNECTION_CLOSED",
          message: expect.stringContaining(`Unexpected server response: ${otherPath.httpStatus}`),
        });
      }
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

    it("MQTT 5: a protocol-level-5 CONNECT, raw and from our client", async () => {
      const wire = await probeMqtt5(broker.host, broker.port);
      const c = client("v5", { protocolVersion: 5 });
      if ("connack" in expected.mqtt5) {
        expect(wire).toBe("connack 0");
        expect(await c.connect()).toBe(false);
        expect(c.connackProperties).toEqual(expected.mqtt5.connack);
        result.features.mqtt5 = expected.cells.mqtt5;
      } else {
        expect(wire).toBe(expected.mqtt5.wire);
        await expect(c.connect()).rejects.toMatchObject(expected.mqtt5.error);
        result.features.mqtt5 = expected.cells.mqtt5;
      }
    });

    if ("connack" in expected.mqtt5) {
      it("MQTT 5: properties both ways at QoS 0, 1 and 2, through automatic topic aliases", async () => {
        const v5 = { protocolVersion: 5 as const };
        const sub = client("v5-sub", v5);
        await sub.connect();
        await sub.subscribe("io/v5/#", 2);
        const p = await startTap5(broker);
        taps.push(p);
        const pub = client("v5-pub", v5, p);
        await pub.connect();
        expect(pub.connackProperties?.topicAliasMaximum).toBeGreaterThan(0);
        const properties: PublishProperties = {
          responseTopic: "io/v5/reply",
          correlationData: Uint8Array.of(1, 2, 3),
          contentType: "text/plain",
          userProperties: { trace: ["a", "b"], hop: "1" },
        };
        for (const qos of [0, 1, 2] as const) {
          await pub.publish("io/v5/props", `v5 at ${qos}`, false, qos, properties);
          const m = await sub.next();
          expect(m).toMatchObject({ text: `v5 at ${qos}`, qos, topic: "io/v5/props" });
          expect(m.properties).toMatchObject({
            responseTopic: "io/v5/reply",
            contentType: "text/plain",
            userProperties: { trace: ["a", "b"], hop: "1" },
          });
          expect([...(m.properties?.correlationData ?? [])]).toEqual([1, 2, 3]);
        }
        // The first PUBLISH carried the topic and an alias, the later ones the alias alone,
        // which the broker resolved (the messages arrived under their topic).
        const sent = p.sent.flatMap((packet) =>
          packet.type === "publish"
            ? [{ topic: decoder.decode(packet.topic), alias: packet.properties?.topicAlias }]
            : [],
        );
        expect(sent).toEqual([
          { topic: "io/v5/props", alias: 1 },
          { topic: "", alias: 1 },
          { topic: "", alias: 1 },
        ]);
      });

      it("MQTT 5: a no-local subscription does not get the client's own messages", async () => {
        const v5 = { protocolVersion: 5 as const };
        const self = client("v5-self", v5);
        await self.connect();
        await self.subscribe("io/v5/local", 1, { noLocal: true });
        const other = client("v5-other", v5);
        await other.connect();
        await other.subscribe("io/v5/local", 1);
        await self.publish("io/v5/local", "mine", false, 1);
        await other.publish("io/v5/local", "theirs", false, 1);
        // self's first message is other's: its own was not sent back.
        expect((await self.next()).text).toBe("theirs");
      });

      it("MQTT 5: a session outlives its connection only by its expiry interval", async () => {
        const resume = async (name: string, sessionExpiryInterval: number) => {
          const options: MQTTClientOptions = {
            ...FAST,
            port: broker.port,
            protocolVersion: 5,
            properties: { sessionExpiryInterval },
          };
          const first = new Client(name, broker.host, options);
          clients.push(first);
          expect(await first.connect(false)).toBe(false);
          await first.subscribe(`io/v5/expiry/${sessionExpiryInterval}`, 1);
          await first.disconnect();
          const pub = client("v5-expiry-pub", { protocolVersion: 5 });
          await pub.connect();
          await pub.publish(`io/v5/expiry/${sessionExpiryInterval}`, "queued", false, 1);
          const again = new Client(name, broker.host, options);
          clients.push(again);
          return again;
        };
        // Expiry 0 (the default): cleanSession = false alone keeps nothing after DISCONNECT.
        expect(await (await resume(id("v5-expiry0"), 0)).connect(false)).toBe(false);
        const kept = await resume(id("v5-expiry300"), 300);
        expect(await kept.connect(false)).toBe(true);
        expect(await kept.next()).toMatchObject({ text: "queued", qos: 1 });
      });
    }
  });
}

afterAll(() => {
  if (Object.keys(run).length > 0) mergeResults(run);
});
