/**
 * MQTT 5 against a real mosquitto 2.0.11 (aedes has no MQTT 5), with MQTT.js 5 (`protocolVersion:
 * 5`) as the other peer in both directions: properties end to end, request/response, message
 * expiry, topic aliases and Receive Maximum on the wire (a fault proxy whose tap decodes MQTT 5),
 * reason codes of refused SUBSCRIBE, PUBLISH, UNSUBSCRIBE and CONNECT, server DISCONNECTs, what
 * the CONNACK sets, the subscription options and a will with properties.
 *
 * mosquitto facts these tests rely on (measured with 2.0.11): its CONNACK always carries Topic
 * Alias Maximum (`max_topic_alias`, default 10) and Receive Maximum (`max_inflight_messages`,
 * default 20); `acl_file` never refuses a SUBSCRIBE (it grants and filters deliveries), so the
 * refusals use the dynamic security plugin (which answers a wrong password with 0x87, not 0x86);
 * overlapping subscriptions get one copy each, with its own Subscription Identifier; a session takeover closes the old connection
 * without the DISCONNECT 0x8E of [MQTT-3.1.4-3], so the server DISCONNECT comes from the
 * plugin's `disableClient` (0x98, Administrative action).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Packet5, PublishProperties } from "@umqtt/codec";
import {
  dynsecConfig,
  type FaultProxy,
  type Mosquitto,
  startFaultProxy,
  startMosquitto,
  text,
  withTimeout,
} from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { connectAsync, type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";
import { afterAll, afterEach, expect, test } from "vitest";
import {
  ConnectionError,
  InvalidArgumentError,
  type Message,
  MQTTClient,
  type MQTTClientOptions,
  MQTTException,
} from "../../src/index.js";

const run = Math.random().toString(36).slice(2, 8);
let seq = 0;
const uid = (label: string) => `${label}-${run}-${++seq}`;

/** Owns every broker, proxy and client a test makes. */
const ours = new Set<MQTTClient>();
const theirs = new Set<MqttClient>();
const proxies = new Set<FaultProxy<Packet5>>();
const brokers = new Set<Mosquitto>();
const dirs = new Set<string>();
afterEach(async () => {
  await Promise.allSettled([...ours].map((c) => c.disconnect()));
  await Promise.allSettled([...theirs].map((c) => c.endAsync(true)));
  await Promise.allSettled([...proxies].map((p) => p.close()));
  ours.clear();
  theirs.clear();
  proxies.clear();
});
afterAll(async () => {
  await Promise.allSettled([...brokers].map((b) => b.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function client(
  target: { host: string; port: number },
  id: string,
  options: MQTTClientOptions = {},
): MQTTClient {
  const c = new MQTTClient(id, target.host, {
    port: target.port,
    connectTimeout: 5000,
    protocolVersion: 5,
    ...options,
  });
  ours.add(c);
  return c;
}

async function mqttjs(target: { port: number }, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${target.port}`, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  theirs.add(c);
  return c;
}

async function proxyTo(b: Mosquitto): Promise<FaultProxy<Packet5>> {
  const p = await startFaultProxy({ target: { host: b.host, port: b.port }, protocolVersion: 5 });
  proxies.add(p);
  return p;
}

/** QoS 1 publishes awaiting their PUBACK through `proxy`: now, and the most at once. */
function countInFlight(proxy: FaultProxy<Packet5>): {
  readonly open: number;
  readonly most: number;
} {
  const open = new Set<number>();
  let most = 0;
  proxy.onPacket((r) => {
    const p = r.packet;
    if (r.dir === "up" && p.type === "publish" && p.packetId !== undefined) {
      open.add(p.packetId);
      most = Math.max(most, open.size);
    } else if (r.dir === "down" && p.type === "puback") open.delete(p.packetId);
  });
  return {
    get open() {
      return open.size;
    },
    get most() {
      return most;
    },
  };
}

async function mosquitto(extraConfig?: string): Promise<Mosquitto> {
  const m = await startMosquitto(extraConfig ? { extraConfig } : {});
  brokers.add(m);
  return m;
}

/** The next message MQTT.js receives on `c`. */
function nextMqttjs(c: MqttClient, ms = 5000): Promise<IPublishPacket> {
  return withTimeout(
    new Promise<IPublishPacket>((resolve) =>
      c.once("message", (_t: string, _p: Buffer, packet: IPublishPacket) => resolve(packet)),
    ),
    ms,
    "an MQTT.js message",
  );
}

/** Pulls our client's messages in order; `next()` is the next one. */
function receiver(c: MQTTClient): { next(ms?: number): Promise<Message> } {
  const it = c.messages();
  return {
    async next(ms = 5000) {
      const r = await withTimeout(it.next(), ms, "a message on our client");
      if (r.done) throw new Error("messages() ended");
      return r.value;
    },
  };
}

const USER_PROPERTIES = { b: "2", a: ["x", "y", "x"], ü: "ω" };

describeMosquitto("MQTT 5 against mosquitto 2.0.11 and MQTT.js", () => {
  let shared: Promise<Mosquitto> | undefined;
  const broker = () => {
    shared ??= mosquitto();
    return shared;
  };

  test("our publisher → MQTT.js subscriber: user properties (order, repeated names), content type, payload format", async () => {
    const b = await broker();
    const topic = uid("props/out");
    const sub = await mqttjs(b);
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = client(b, uid("pub"));
    await pub.connect(true);
    for (const qos of [0, 1] as const) {
      const got = nextMqttjs(sub);
      await pub.publish(topic, "grüße", false, qos, {
        userProperties: USER_PROPERTIES,
        contentType: "text/plain; charset=utf-8",
        payloadFormatIndicator: true,
      });
      const m = await got;
      expect(m.payload.toString()).toBe("grüße");
      expect(m.properties?.contentType).toBe("text/plain; charset=utf-8");
      expect(m.properties?.payloadFormatIndicator).toBe(true);
      expect(m.properties?.userProperties).toEqual(USER_PROPERTIES);
      expect(Object.keys(m.properties?.userProperties ?? {})).toEqual(["b", "a", "ü"]);
    }
  });

  test("MQTT.js publisher → our subscriber: the same properties, in the callback and in messages()", async () => {
    const b = await broker();
    const topic = uid("props/in");
    const sub = client(b, uid("sub"));
    const rx = receiver(sub);
    await sub.connect(true);
    expect(await sub.subscribe(topic, 1)).toBe(1);
    const pub = await mqttjs(b);
    await pub.publishAsync(topic, "hallo", {
      qos: 1,
      properties: {
        userProperties: USER_PROPERTIES,
        contentType: "application/x-test",
        payloadFormatIndicator: true,
      },
    });
    const m = await rx.next();
    expect(text(m.topic)).toBe(topic);
    expect(text(m.payload)).toBe("hallo");
    expect(m.properties?.contentType).toBe("application/x-test");
    expect(m.properties?.payloadFormatIndicator).toBe(true);
    expect(m.properties?.userProperties).toEqual(USER_PROPERTIES);
    expect(Object.keys(m.properties?.userProperties ?? {})).toEqual(["b", "a", "ü"]);
    expect(m.properties?.topicAlias).toBeUndefined();

    // The callback's third argument carries them too.
    const cb = client(b, uid("cb"));
    const seen: PublishProperties[] = [];
    cb.setCallback((_t, _m, info) => {
      if (info.properties) seen.push(info.properties);
    });
    await cb.connect(true);
    await cb.subscribe(topic, 0);
    await pub.publishAsync(topic, "zwei", { qos: 0, properties: { contentType: "c/2" } });
    await withTimeout(cb.waitMsg(), 5000, "waitMsg()");
    expect(seen.map((p) => p.contentType)).toEqual(["c/2"]);
  });

  test("request/response both ways: responseTopic + correlationData round trip", async () => {
    const b = await broker();
    const requests = uid("rr/requests");
    const replies = uid("rr/replies");
    const correlation = Uint8Array.of(0, 1, 2, 0xff, 0xfe);

    // We request, MQTT.js answers on the response topic with the correlation data.
    const responder = await mqttjs(b);
    await responder.subscribeAsync(requests, { qos: 1 });
    responder.on("message", (_t, payload, packet) => {
      const rt = packet.properties?.responseTopic;
      if (!rt) return;
      void responder.publishAsync(rt, `re: ${payload.toString()}`, {
        qos: 1,
        properties: { correlationData: packet.properties?.correlationData },
      });
    });
    const requester = client(b, uid("req"));
    const rx = receiver(requester);
    await requester.connect(true);
    await requester.subscribe(replies, 1);
    await requester.publish(requests, "ping?", false, 1, {
      responseTopic: replies,
      correlationData: correlation,
    });
    const reply = await rx.next();
    expect(text(reply.topic)).toBe(replies);
    expect(text(reply.payload)).toBe("re: ping?");
    expect([...(reply.properties?.correlationData ?? [])]).toEqual([...correlation]);

    // MQTT.js requests, we answer from what we received.
    const server = client(b, uid("srv"));
    const srx = receiver(server);
    await server.connect(true);
    await server.subscribe(`${requests}/2`, 1);
    const asker = await mqttjs(b);
    await asker.subscribeAsync(`${replies}/2`, { qos: 1 });
    const answered = nextMqttjs(asker);
    await asker.publishAsync(`${requests}/2`, "who?", {
      qos: 1,
      properties: { responseTopic: `${replies}/2`, correlationData: Buffer.from("id-7") },
    });
    const req = await srx.next();
    const rt = req.properties?.responseTopic;
    expect(rt).toBe(`${replies}/2`);
    await server.publish(rt as string, "me", false, 1, {
      correlationData: req.properties?.correlationData,
    });
    const answer = await answered;
    expect(answer.payload.toString()).toBe("me");
    expect(answer.properties?.correlationData?.toString()).toBe("id-7");
  });

  test("message expiry: a retained and a queued message with messageExpiryInterval 1 are gone after 2 s", async () => {
    const b = await broker();
    const base = uid("expiry");
    const pub = client(b, uid("exp-pub"));
    await pub.connect(true);

    // An offline subscriber with a session that outlives its connection.
    const queuedId = uid("exp-queued");
    const offline = client(b, queuedId, { properties: { sessionExpiryInterval: 60 } });
    await offline.connect(false);
    await offline.subscribe(`${base}/q/+`, 1);
    await offline.disconnect();

    await pub.publish(`${base}/r/short`, "short", true, 1, { messageExpiryInterval: 1 });
    await pub.publish(`${base}/r/long`, "long", true, 1, { messageExpiryInterval: 60 });
    await pub.publish(`${base}/q/short`, "short", false, 1, { messageExpiryInterval: 1 });
    await pub.publish(`${base}/q/long`, "long", false, 1, { messageExpiryInterval: 60 });

    // A real expiry needs real time: the broker counts whole seconds.
    await new Promise((r) => setTimeout(r, 2100));

    // Retained: only the long one comes, before the marker published after the SUBACK.
    const late = client(b, uid("exp-late"));
    const rx = receiver(late);
    await late.connect(true);
    await late.subscribe(`${base}/r/+`, 1);
    await late.publish(`${base}/r/marker`, "marker", false, 1);
    const got: string[] = [];
    for (;;) {
      const m = await rx.next();
      got.push(text(m.payload));
      if (got.at(-1) === "long") {
        expect(m.retain).toBe(true);
        // The broker forwards the remaining lifetime [MQTT-3.3.2-6].
        expect(m.properties?.messageExpiryInterval).toBeGreaterThan(0);
        expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(58);
      }
      if (got.at(-1) === "marker") break;
    }
    expect(got).toEqual(["long", "marker"]);

    // Queued: the session gets the long one only.
    const back = client(b, queuedId, { properties: { sessionExpiryInterval: 60 } });
    const qrx = receiver(back);
    expect(await back.connect(false)).toBe(true);
    await back.publish(`${base}/q/marker`, "marker", false, 1);
    const queued: string[] = [];
    for (;;) {
      const m = await qrx.next();
      queued.push(text(m.payload));
      if (queued.at(-1) === "marker") break;
    }
    expect(queued).toEqual(["long", "marker"]);
  });

  test("topic aliases on the wire: the first PUBLISH carries topic + alias, later ones an empty topic", async () => {
    const b = await broker();
    const proxy = await proxyTo(b);
    const topic = uid("alias/t");
    const other = uid("alias/u");
    const sub = await mqttjs(b);
    await sub.subscribeAsync([topic, other], { qos: 1 });
    const received: string[] = [];
    sub.on("message", (t, p) => received.push(`${t} ${p}`));
    const pub = client(proxy, uid("alias-pub"));
    await pub.connect(true);
    expect(pub.connackProperties?.topicAliasMaximum).toBe(10); // mosquitto's default

    for (let i = 0; i < 3; i++) await pub.publish(topic, `m${i}`, false, 1);
    await pub.publish(other, "o0", false, 0);
    await pub.publish(other, "o1", false, 1);
    await pub.publish(topic, "m3", false, 0);
    await withTimeout(
      (async () => {
        while (received.length < 6) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      "six messages at MQTT.js",
    );

    const publishes = proxy.tap
      .map((r) => r.packet)
      .filter((p): p is Extract<Packet5, { type: "publish" }> => p.type === "publish");
    const wire = publishes.map((p) => [text(p.topic), p.properties?.topicAlias]);
    const a = wire[0]?.[1];
    const o = wire[3]?.[1];
    expect(typeof a).toBe("number");
    expect(typeof o).toBe("number");
    expect(a).not.toBe(o);
    expect(wire).toEqual([
      [topic, a],
      ["", a],
      ["", a],
      [other, o],
      ["", o],
      ["", a],
    ]);
    // The subscriber sees full topics: the broker resolved our aliases.
    expect(received).toEqual([
      `${topic} m0`,
      `${topic} m1`,
      `${topic} m2`,
      `${other} o0`,
      `${other} o1`,
      `${topic} m3`,
    ]);
  });

  test("no Topic Alias Maximum from the server (max_topic_alias 0): every PUBLISH carries its topic, no alias", async () => {
    const b = await mosquitto("max_topic_alias 0");
    const proxy = await proxyTo(b);
    const pub = client(proxy, uid("noalias"));
    await pub.connect(true);
    expect(pub.connackProperties?.topicAliasMaximum ?? 0).toBe(0);
    const topic = uid("noalias/t");
    for (let i = 0; i < 3; i++) await pub.publish(topic, `m${i}`, false, 1);
    const publishes = proxy.tap.filter((r) => r.packet.type === "publish");
    expect(publishes).toHaveLength(3);
    for (const r of publishes) {
      if (r.packet.type !== "publish") throw new Error("unreachable");
      expect(text(r.packet.topic)).toBe(topic);
      expect(r.packet.properties?.topicAlias).toBeUndefined();
    }
  });

  test("inbound topic aliases: MQTT.js → broker aliases do not leak; our CONNECT offers topicAliasMaximum", async () => {
    const b = await broker();
    const proxy = await proxyTo(b);
    const topic = uid("alias/in");
    const sub = client(proxy, uid("alias-sub"), { properties: { topicAliasMaximum: 5 } });
    const rx = receiver(sub);
    await sub.connect(true);
    const connect = proxy.tap.find((r) => r.packet.type === "connect")?.packet;
    expect(connect?.type === "connect" && connect.properties?.topicAliasMaximum).toBe(5);
    await sub.subscribe(topic, 1);
    const pub = await mqttjs(b, { autoAssignTopicAlias: true });
    for (let i = 0; i < 3; i++) await pub.publishAsync(topic, `n${i}`, { qos: 1 });
    for (let i = 0; i < 3; i++) {
      const m = await rx.next();
      expect(text(m.topic)).toBe(topic);
      expect(text(m.payload)).toBe(`n${i}`);
      expect(m.properties?.topicAlias).toBeUndefined();
    }
    // What mosquitto 2.0.11 sent us: whether it uses outbound aliases at all.
    const down = proxy.brokerTap
      .map((r) => r.packet)
      .filter((p): p is Extract<Packet5, { type: "publish" }> => p.type === "publish");
    expect(down).toHaveLength(3);
    for (const p of down) expect(p.properties?.topicAlias).toBeUndefined();
  });

  test("Receive Maximum 2 (max_inflight_messages 2): 20 QoS 1 publishes at once never have 3 unacknowledged", async () => {
    const b = await mosquitto("max_inflight_messages 2");
    const proxy = await proxyTo(b);
    const pub = client(proxy, uid("rm"), { maxInflight: 64 });
    await pub.connect(true);
    expect(pub.connackProperties?.receiveMaximum).toBe(2);
    const connack = proxy.brokerTap.find((r) => r.packet.type === "connack")?.packet;
    expect(connack?.type === "connack" && connack.properties?.receiveMaximum).toBe(2);

    const inFlight = countInFlight(proxy);
    const topic = uid("rm/t");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => pub.publish(topic, String(i), false, 1)),
    );
    expect(proxy.tap.filter((r) => r.packet.type === "publish")).toHaveLength(20);
    expect(inFlight.most).toBe(2);
    expect(inFlight.open).toBe(0);
  });

  test("pinned: MQTT.js 5.16 ignores the server's Receive Maximum and Maximum Packet Size (mosquitto answers DISCONNECT 0x95)", async () => {
    const b = await mosquitto("max_inflight_messages 2\nmax_packet_size 500");
    const proxy = await proxyTo(b);
    const them = await mqttjs(proxy);
    const inFlight = countInFlight(proxy);
    const topic = uid("mqttjs-rm");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => them.publishAsync(topic, String(i), { qos: 1 })),
    );
    // [MQTT-3.3.4-7] allows 2; mosquitto takes them all without DISCONNECT 0x93.
    expect(inFlight.most).toBeGreaterThan(2);
    const kicked = new Promise<number | undefined>((resolve) =>
      them.once("disconnect", (p) => resolve(p.reasonCode)),
    );
    void them.publishAsync(topic, Buffer.alloc(1000), { qos: 1 }).catch(() => undefined);
    // [MQTT-3.1.2-24]: MQTT.js sends the 1000-byte PUBLISH; mosquitto closes with 0x95.
    expect(await withTimeout(kicked, 5000, "MQTT.js DISCONNECT")).toBe(0x95);
    const big = proxy.tap.find(
      (r) => r.packet.type === "publish" && r.packet.payload.length === 1000,
    );
    expect(big).toBeDefined();
  });

  test("a refused subscription rejects with MQTTException 0x87 (dynamic security plugin); others are granted", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "umqtt-dynsec-"));
    dirs.add(dir);
    const sec = dynsecConfig({ dir, denySubscribe: ["denied/#"] });
    const b = await mosquitto(sec.extraConfig);
    const c = client(b, uid("refused"));
    await c.connect(true);
    const refused = c.subscribe("denied/x", 1);
    await expect(refused).rejects.toBeInstanceOf(MQTTException);
    await expect(refused).rejects.toMatchObject({ code: 0x87 });
    expect(await c.subscribe(uid("allowed"), 1)).toBe(1);
    expect(c.isConnected()).toBe(true);
  });

  test("a server DISCONNECT (Administrative action 0x98) closes with ERR_SERVER_DISCONNECT and its reason code", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "umqtt-dynsec-"));
    dirs.add(dir);
    const sec = dynsecConfig({ dir });
    const b = await mosquitto(sec.extraConfig);
    const victim = client(b, uid("victim"), {
      user: sec.user.username,
      password: sec.user.password,
    });
    await victim.connect(true);
    // The pending message wait is what the connection's end rejects.
    const ended = victim.messages().next();
    const admin = await mqttjs(b, { username: sec.admin.username, password: sec.admin.password });
    await admin.publishAsync(
      "$CONTROL/dynamic-security/v1",
      JSON.stringify({ commands: [{ command: "disableClient", username: sec.user.username }] }),
    );
    const err = await withTimeout(
      ended.then(
        () => undefined,
        (e: unknown) => e,
      ),
      5000,
      "the server DISCONNECT",
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: "ERR_SERVER_DISCONNECT", reasonCode: 0x98 });
    expect(victim.isConnected()).toBe(false);
  });

  test("session taken over: mosquitto closes the first connection without DISCONNECT 0x8E", async () => {
    const b = await broker();
    const proxy = await proxyTo(b);
    const id = uid("taken");
    const first = client(proxy, id);
    await first.connect(true);
    const ended = first
      .messages()
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const second = client(b, id);
    await second.connect(true);
    const err = await withTimeout(ended, 5000, "the first connection's end");
    expect(err).toBeInstanceOf(ConnectionError);
    // Pinned deviation: no DISCONNECT reached the first client, so no reason code either.
    expect(proxy.brokerTap.some((r) => r.packet.type === "disconnect")).toBe(false);
    expect((err as ConnectionError).code).toBe("ERR_CONNECTION_CLOSED");
    expect(err).not.toHaveProperty("reasonCode");
  });

  test("the CONNACK is honoured: server keepalive, assigned client id, maximum packet size, retain and QoS limits", async () => {
    const b = await mosquitto(
      ["max_keepalive 30", "max_packet_size 2000", "retain_available false", "max_qos 0"].join(
        "\n",
      ),
    );
    const proxy = await proxyTo(b);
    const c = client(proxy, "", { keepalive: 60 });
    await c.connect(true);
    expect(c.connackProperties?.serverKeepAlive).toBe(30);
    expect(c.keepalive).toBe(30);
    expect(c.connackProperties?.assignedClientIdentifier).toMatch(/^auto-/);
    expect(c.clientId).toBe(c.connackProperties?.assignedClientIdentifier);
    expect(c.connackProperties?.maximumPacketSize).toBe(2000);
    expect(c.connackProperties?.retainAvailable).toBe(false);
    expect(c.connackProperties?.maximumQoS).toBe(0);

    const before = proxy.tap.length;
    const topic = uid("limits");
    await expect(c.publish(topic, new Uint8Array(3000), false, 0)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(c.publish(topic, "r", true, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.publish(topic, "q", false, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await c.ping();
    expect(proxy.tap.slice(before).map((r) => r.packet.type)).toEqual(["pingreq"]);
    await c.publish(topic, new Uint8Array(1000), false, 0);
  });
});

describeMosquitto("MQTT 5 reason codes, subscription options, will", () => {
  let shared: Promise<{ b: Mosquitto; sec: ReturnType<typeof dynsecConfig> }> | undefined;
  const secured = () => {
    shared ??= (async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "umqtt-dynsec-"));
      dirs.add(dir);
      const sec = dynsecConfig({
        dir,
        denySubscribe: ["denied/#"],
        denyPublish: ["nopub/#"],
        denyUnsubscribe: ["keep/#"],
      });
      return { b: await mosquitto(sec.extraConfig), sec };
    })();
    return shared;
  };

  test("a refused PUBLISH rejects with MQTTException 0x87: QoS 1 (PUBACK) and QoS 2 (PUBREC); the client stays usable", async () => {
    const { b } = await secured();
    const c = client(b, uid("nopub"));
    const rx = receiver(c);
    await c.connect(true);
    for (const qos of [1, 2] as const) {
      const refused = c.publish(`nopub/${qos}`, "x", false, qos);
      await expect(refused).rejects.toBeInstanceOf(MQTTException);
      await expect(refused).rejects.toMatchObject({ code: 0x87 });
    }
    const t = uid("pub-ok");
    await c.subscribe(t, 1);
    await c.publish(t, "fine", false, 2);
    expect(text((await rx.next()).payload)).toBe("fine");
  });

  test("a refused UNSUBSCRIBE rejects with MQTTException 0x87 and the subscription stays", async () => {
    const { b } = await secured();
    const c = client(b, uid("keep"));
    const rx = receiver(c);
    await c.connect(true);
    const t = `keep/${uid("k")}`;
    await c.subscribe(t, 1);
    const refused = c.unsubscribe(t);
    await expect(refused).rejects.toBeInstanceOf(MQTTException);
    await expect(refused).rejects.toMatchObject({ code: 0x87 });
    await c.publish(t, "still subscribed", false, 1);
    expect(text((await rx.next()).payload)).toBe("still subscribed");
  });

  test("a refused CONNECT (wrong password) rejects with MQTTException and the CONNACK's reason code", async () => {
    const { b, sec } = await secured();
    const proxy = await proxyTo(b);
    const c = client(proxy, uid("badpw"), { user: sec.user.username, password: "wrong" });
    const refused = c.connect(true);
    await expect(refused).rejects.toBeInstanceOf(MQTTException);
    const connack = proxy.brokerTap.find((r) => r.packet.type === "connack")?.packet;
    // mosquitto's dynamic security answers 0x87 Not authorized, not 0x86 Bad User Name or Password.
    expect(connack?.type === "connack" && connack.reasonCode).toBe(0x87);
    await expect(refused).rejects.toMatchObject({ code: 0x87 });
    expect(c.isConnected()).toBe(false);
  });

  test("noLocal: our own publishes do not come back; retainAsPublished keeps RETAIN on live messages", async () => {
    const b = await mosquitto();
    const base = uid("opts");
    const c = client(b, uid("nl"));
    const rx = receiver(c);
    await c.connect(true);
    await c.subscribe(`${base}/nl`, 1, { noLocal: true });
    await c.subscribe(`${base}/rap`, 1, { retainAsPublished: true });
    await c.subscribe(`${base}/plain`, 1);
    await c.publish(`${base}/nl`, "own", false, 1);
    const them = await mqttjs(b);
    await them.publishAsync(`${base}/nl`, "theirs", { qos: 1 });
    const m1 = await rx.next();
    expect(text(m1.payload)).toBe("theirs");
    await them.publishAsync(`${base}/rap`, "kept", { qos: 1, retain: true });
    const m2 = await rx.next();
    expect([text(m2.payload), m2.retain]).toEqual(["kept", true]);
    await them.publishAsync(`${base}/plain`, "cleared", { qos: 1, retain: true });
    const m3 = await rx.next();
    expect([text(m3.payload), m3.retain]).toEqual(["cleared", false]);
  });

  test("retainHandling 1 sends retained messages on a new subscription only, 2 never", async () => {
    const b = await mosquitto();
    const base = uid("rh");
    const them = await mqttjs(b);
    await them.publishAsync(`${base}/one`, "r1", { qos: 1, retain: true });
    await them.publishAsync(`${base}/two`, "r2", { qos: 1, retain: true });
    const c = client(b, uid("rh"));
    const rx = receiver(c);
    await c.connect(true);
    await c.subscribe(`${base}/two`, 1, { retainHandling: 2 });
    await c.subscribe(`${base}/one`, 1, { retainHandling: 1 });
    expect(text((await rx.next()).payload)).toBe("r1");
    await c.subscribe(`${base}/one`, 1, { retainHandling: 1 }); // exists: nothing sent
    await c.publish(`${base}/one`, "marker", false, 1);
    const m = await rx.next();
    expect([text(m.payload), m.retain]).toEqual(["marker", false]);
  });

  test("subscription identifiers: a message matching two subscriptions arrives once per subscription, each with its identifier", async () => {
    const b = await mosquitto();
    const base = uid("sid");
    const c = client(b, uid("sid"));
    const rx = receiver(c);
    await c.connect(true);
    await c.subscribe(`${base}/#`, 1, { subscriptionIdentifier: 7 });
    await c.subscribe(`${base}/a`, 1, { subscriptionIdentifier: 300 });
    const them = await mqttjs(b);
    await them.publishAsync(`${base}/a`, "both", { qos: 1 });
    await them.publishAsync(`${base}/b`, "one", { qos: 1 });
    await c.publish(`${base}/marker`, "marker", false, 1);
    const got: [string, number[]][] = [];
    for (;;) {
      const m = await rx.next();
      const id = m.properties?.subscriptionIdentifier;
      const ids = id === undefined ? [] : Array.isArray(id) ? id : [id];
      got.push([text(m.payload), [...ids].sort((x, y) => x - y)]);
      if (got.at(-1)?.[0] === "marker") break;
    }
    // mosquitto 2.0.11 sends one copy per matching subscription, each with its own identifier
    // ([MQTT-3.3.4-5]; one copy with both would be [MQTT-3.3.4-4]).
    const copies = got.map(([payload, ids]) => `${payload} ${ids.join(",")}`);
    expect(copies.slice(0, -1).sort()).toEqual(["both 300", "both 7", "one 7"]);
    expect(copies.at(-1)).toBe("marker 7");
  });

  test("the will's properties reach MQTT.js when our connection is lost", async () => {
    const b = await mosquitto();
    const proxy = await proxyTo(b);
    const topic = uid("will");
    const them = await mqttjs(b);
    await them.subscribeAsync(topic, { qos: 1 });
    const c = client(proxy, uid("will"));
    c.setLastWill(topic, "gone", false, 1, {
      contentType: "text/plain",
      userProperties: { reason: "lost", n: ["1", "2"] },
      messageExpiryInterval: 30,
    });
    await c.connect(true);
    const connect = proxy.tap.find((r) => r.packet.type === "connect")?.packet;
    expect(connect?.type === "connect" && connect.will?.properties?.contentType).toBe("text/plain");
    const will = nextMqttjs(them);
    proxy.dropAll();
    const m = await will;
    expect(m.payload.toString()).toBe("gone");
    expect(m.properties?.contentType).toBe("text/plain");
    expect(m.properties?.userProperties).toEqual({ reason: "lost", n: ["1", "2"] });
    expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(30);
  });
});
