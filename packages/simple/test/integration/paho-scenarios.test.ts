/**
 * The Eclipse Paho interoperability client scenarios (paho.mqtt.testing's client_test.py:
 * basic, retained messages, will message, zero-length client id, offline message queueing,
 * overlapping subscriptions, keepalive, redelivery on reconnect, subscribe failure, $ topics,
 * unsubscribe), ported to @umqtt/simple in both roles, QoS 2 parts played with QoS 1, and
 * run against embedded aedes and a real mosquitto.
 *
 * Absence of a message is never awaited with a timer: a sentinel message published after the
 * one that must not arrive, on the same ordered path, must be the next one received.
 */
import { text, utf8, waitFor, withTimeout } from "@umqtt/testkit";
import { expect, test } from "vitest";
import {
  ConnectionError,
  ErrorCode,
  InvalidArgumentError,
  MQTTException,
} from "../../src/index.js";
import { eachBroker, elapse, Fixture, firstByte, receiver, sharedBroker } from "./helpers.js";

eachBroker((kind) => {
  const broker = sharedBroker(kind);
  const fx = new Fixture();

  /** A connected client of ours with a recording receiver. */
  async function connected(label: string, options: Parameters<Fixture["client"]>[2] = {}) {
    const b = await broker();
    const client = fx.client(b, fx.id(label), options);
    const rx = receiver(client);
    await client.connect(true);
    return { client, rx };
  }

  test("basic: subscribe, publish QoS 0 and 1 to itself and to another client", async () => {
    const t = fx.id("basic");
    const { client: a, rx: ra } = await connected("basic-a");
    const { client: b, rx: rb } = await connected("basic-b");
    expect(await a.subscribe(`${t}/#`, 1)).toBe(1);
    expect(await b.subscribe(`${t}/#`, 0)).toBe(0);

    await a.publish(`${t}/q0`, "qos 0");
    await a.publish(`${t}/q1`, "qos 1", false, 1);

    for (const [rx, maxQos] of [
      [ra, 1],
      [rb, 0],
    ] as const) {
      const m0 = await rx.next();
      expect(m0.topic).toBe(`${t}/q0`);
      expect(text(m0.payload)).toBe("qos 0");
      expect(m0).toMatchObject({ qos: 0, retain: false, dup: false, first: 0x30 });
      const m1 = await rx.next();
      expect(m1.topic).toBe(`${t}/q1`);
      expect(text(m1.payload)).toBe("qos 1");
      // Delivered with min(published QoS, granted QoS).
      expect(m1.qos).toBe(maxQos);
      expect(m1.first).toBe(firstByte(m1));
    }
    expect(a.isConnected() && b.isConnected()).toBe(true);
  });

  test("retained messages: retain flag in info and in the first header byte; cleared by an empty retained publish", async () => {
    const t = fx.id("retained");
    const { client: pub } = await connected("ret-pub");
    await pub.publish(`${t}/q0`, "r0", true, 0);
    await pub.publish(`${t}/q1`, "r1", true, 1);
    // A QoS 1 barrier: the broker has stored both retained messages once its PUBACK is back.
    await pub.publish(`${t}/barrier`, "", false, 1);

    const { client: sub, rx } = await connected("ret-sub");
    expect(await sub.subscribe(`${t}/+`, 1)).toBe(1);
    const got = [await rx.next(), await rx.next()].sort((x, y) => x.topic.localeCompare(y.topic));
    expect(got.map((m) => [m.topic, text(m.payload), m.qos, m.retain])).toEqual([
      [`${t}/q0`, "r0", 0, true],
      [`${t}/q1`, "r1", 1, true],
    ]);
    for (const m of got) {
      expect(m.first).toBe(firstByte(m));
      expect((m.first ?? 0) & 0x01).toBe(1);
    }

    // A live message to an existing subscription is delivered with RETAIN = 0 [MQTT-3.3.1-9].
    await pub.publish(`${t}/q1`, "live", true, 1);
    const live = await rx.next();
    expect([live.topic, text(live.payload), live.retain]).toEqual([`${t}/q1`, "live", false]);
    expect((live.first ?? 0) & 0x01).toBe(0);

    // An empty retained publish clears the retained message (and is forwarded as such).
    await pub.publish(`${t}/q0`, new Uint8Array(0), true, 1);
    await pub.publish(`${t}/q1`, "", true, 1);
    for (let i = 0; i < 2; i++) expect((await rx.next()).payload.length).toBe(0);

    const { client: late, rx: lrx } = await connected("ret-late");
    await late.subscribe(`${t}/+`, 1);
    await pub.publish(`${t}/sentinel`, "after", false, 1);
    const first = await lrx.next();
    expect([first.topic, first.retain]).toEqual([`${t}/sentinel`, false]);
  });

  test("will message: published when the connection breaks without DISCONNECT", async () => {
    const b = await broker();
    const t = fx.id("will");
    const { client: watcher, rx } = await connected("will-watch");
    await watcher.subscribe(`${t}/#`, 1);

    const proxy = await fx.proxy(b);
    const victim = fx.client({ host: proxy.host, port: proxy.port }, fx.id("will-victim"), {
      keepalive: 30,
    });
    victim.setCallback(() => {});
    victim.setLastWill(`${t}/status`, "gone", false, 1);
    await victim.connect(true);
    const pending = victim.waitMsg();
    proxy.dropAll(); // TCP RST on both sides: an abnormal close

    await expect(withTimeout(pending, 5000, "victim waitMsg")).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(victim.isConnected()).toBe(false);
    const will = await rx.next();
    expect([will.topic, text(will.payload), will.qos, will.retain]).toEqual([
      `${t}/status`,
      "gone",
      1,
      false,
    ]);
  });

  test("will message: NOT published after disconnect()", async () => {
    const b = await broker();
    const t = fx.id("nowill");
    const { client: watcher, rx } = await connected("nowill-watch");
    await watcher.subscribe(`${t}/#`, 1);

    const proxy = await fx.proxy(b);
    const leaver = fx.client({ host: proxy.host, port: proxy.port }, fx.id("nowill-leaver"));
    leaver.setLastWill(`${t}/status`, "gone", false, 1);
    await leaver.connect(true);
    await leaver.disconnect();
    expect(leaver.isConnected()).toBe(false);
    // The broker has acted on the close once both proxied sockets are gone.
    await waitFor(() => proxy.connections() === 0, { what: "the broker to close the connection" });
    const { client: other } = await connected("nowill-other");
    await other.publish(`${t}/sentinel`, "s", false, 1);
    const first = await rx.next();
    expect(first.topic).toBe(`${t}/sentinel`);
  });

  test("zero-length client id: works with cleanSession = true, refused before sending with cleanSession = false", async () => {
    const b = await broker();
    const proxy = await fx.proxy(b);
    const c = fx.client({ host: proxy.host, port: proxy.port }, "");
    const rx = receiver(c);

    await expect(c.connect(false)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.connect(false)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(proxy.connections()).toBe(0);

    expect(await c.connect(true)).toBe(false);
    const t = fx.id("zero");
    await c.subscribe(t, 1);
    await c.publish(t, "hello", false, 1);
    expect(text((await rx.next()).payload)).toBe("hello");
    // The refused attempts never opened a connection: the first CONNECT seen is the good one.
    const connects = proxy.tap.filter((r) => r.packet.type === "connect");
    expect(
      connects.map((r) => [r.conn, r.packet.type === "connect" && r.packet.cleanSession]),
    ).toEqual([[1, true]]);
  });

  test("offline message queueing: cleanSession = false keeps the subscription and queues QoS 1 messages", async () => {
    const b = await broker();
    const t = fx.id("offline");
    const id = fx.id("offline-sub");
    const sub = fx.client(b, id);
    const rx = receiver(sub);
    expect(await sub.connect(true)).toBe(false); // start from no session at all
    await sub.disconnect();
    expect(await sub.connect(false)).toBe(false);
    await sub.subscribe(`${t}/#`, 1);
    await sub.disconnect();

    const { client: pub } = await connected("offline-pub");
    await pub.publish(`${t}/0`, "qos0", false, 0);
    for (let i = 1; i <= 3; i++) await pub.publish(`${t}/${i}`, `qos1 #${i}`, false, 1);

    expect(await sub.connect(false)).toBe(true);
    const got: string[] = [];
    // QoS 0 messages may or may not be queued for an offline client; QoS 1 ones must be.
    while (got.filter((p) => p.startsWith("qos1")).length < 3) {
      const m = await rx.next();
      got.push(text(m.payload));
      if (m.qos === 1) expect(m.topic).toBe(`${t}/${m.payload.at(-1)! - 48}`);
    }
    expect(got.filter((p) => p.startsWith("qos1"))).toEqual(["qos1 #1", "qos1 #2", "qos1 #3"]);
    expect(got.length).toBeLessThanOrEqual(4);

    // Leave no session behind.
    await sub.disconnect();
    expect(await sub.connect(true)).toBe(false);
  });

  test("overlapping subscriptions: a message matching two filters arrives at least once, at the highest QoS if once", async () => {
    const t = fx.id("overlap");
    const { client: c, rx } = await connected("overlap");
    await c.subscribe(`${t}/#`, 1);
    await c.subscribe(`${t}/+`, 0);
    await c.subscribe(`${t}-sentinel`, 1);

    await c.publish(`${t}/x`, "both", false, 1);
    await c.publish(`${t}-sentinel`, "end", false, 1);
    const copies = [];
    for (;;) {
      const m = await rx.next();
      if (m.topic === `${t}-sentinel`) break;
      expect([m.topic, text(m.payload)]).toEqual([`${t}/x`, "both"]);
      copies.push(m);
    }
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(copies.length).toBeLessThanOrEqual(2);
    if (copies.length === 2) expect(copies.map((m) => m.qos).sort()).toEqual([0, 1]);
    if (kind.name === "aedes") {
      // aedes: one copy, at the highest QoS of the matching subscriptions [MQTT-3.3.5-1].
      expect(copies.map((m) => m.qos)).toEqual([1]);
    } else {
      // mosquitto 2.0.11: one copy, but at the QoS of the `+` subscription (0 here), not the
      // highest: a deviation from [MQTT-3.3.5-1] (checked with MQTT.js too). Pinned, so a
      // mosquitto upgrade that fixes it shows up here.
      expect(copies.map((m) => m.qos)).toEqual([0]);
    }
  });

  test("keepalive: an idle client pings by itself, stays connected past 3 × keepalive, and its will is not published", async () => {
    const b = await broker();
    const t = fx.id("keepalive");
    const { client: watcher, rx } = await connected("ka-watch");
    await watcher.subscribe(`${t}/#`, 1);

    const proxy = await fx.proxy(b);
    const idle = fx.client({ host: proxy.host, port: proxy.port }, fx.id("ka-idle"), {
      keepalive: 1,
    });
    idle.setLastWill(`${t}/will`, "dead", false, 1);
    await idle.connect(true);
    // This test is about elapsed time: 3.5 × keepalive of silence from the application.
    await elapse(3500);
    expect(idle.isConnected()).toBe(true);
    const pings = proxy.tap.filter((r) => r.packet.type === "pingreq").length;
    const pongs = proxy.brokerTap.filter((r) => r.packet.type === "pingresp").length;
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(pongs).toBeGreaterThanOrEqual(3);
    await idle.ping();

    await idle.disconnect();
    await waitFor(() => proxy.connections() === 0, { what: "the broker to close the connection" });
    await watcher.publish(`${t}/sentinel`, "s", false, 1);
    expect((await rx.next()).topic).toBe(`${t}/sentinel`);
  });

  // The broker's re-delivery of an unacknowledged QoS 1 message must carry DUP = 1
  // [MQTT-3.3.1-1]: mosquitto sets it; aedes 1.2.0 re-sends the message with DUP = 0.
  const redeliveredDup = kind.name === "mosquitto";

  test("redelivery on reconnect: a QoS 1 message whose callback threw is not acknowledged and comes back", async () => {
    const b = await broker();
    const t = fx.id("redeliver");
    const proxy = await fx.proxy(b);
    const sub = fx.client({ host: proxy.host, port: proxy.port }, fx.id("redeliver-sub"));
    await sub.connect(true);
    await sub.disconnect();
    await sub.connect(false);
    await sub.subscribe(`${t}/#`, 1);

    let refuse = true;
    const got: { payload: string; dup: boolean; qos: number }[] = [];
    sub.setCallback((_topic, payload, info) => {
      if (refuse) throw new Error("not now");
      got.push({ payload: text(payload), dup: info.dup, qos: info.qos });
    });

    const { client: pub } = await connected("redeliver-pub");
    await pub.publish(`${t}/m`, "once more", false, 1);
    // The callback throws: the error surfaces here and no PUBACK is sent.
    await expect(withTimeout(sub.waitMsg(), 5000, "waitMsg")).rejects.toThrow("not now");
    expect(sub.isConnected()).toBe(true);
    await sub.disconnect();

    refuse = false;
    expect(await sub.connect(false)).toBe(true);
    const first = await withTimeout(sub.waitMsg(), 5000, "redelivery");
    expect(got).toEqual([{ payload: "once more", dup: redeliveredDup, qos: 1 }]);
    expect(first).toBe(redeliveredDup ? 0x3a : 0x32);
    const resent = await proxy.waitForPacket((r) => r.conn === 3 && r.packet.type === "publish");
    expect(resent.packet.type === "publish" && resent.packet.dup).toBe(redeliveredDup);
    const ack = await proxy.waitForPacket((r) => r.packet.type === "puback");
    expect(ack.conn).toBe(3);

    await sub.disconnect();
    await sub.connect(true);
  });

  test("redelivery on reconnect: a QoS 1 message not yet taken when the link drops is redelivered", async () => {
    const b = await broker();
    const t = fx.id("redeliver-drop");
    const proxy = await fx.proxy(b);
    const sub = fx.client({ host: proxy.host, port: proxy.port }, fx.id("redeliver-drop-sub"));
    const rx = receiver(sub);
    await sub.connect(true);
    await sub.disconnect();
    await sub.connect(false);
    await sub.subscribe(`${t}/#`, 1);

    const { client: pub } = await connected("redeliver-drop-pub");
    await pub.publish(`${t}/m`, "lost ack", false, 1);
    // The message is on its way to the client, which has not taken (so not acknowledged) it.
    await proxy.waitForPacket(
      (r) => r.conn === 2 && r.dir === "down" && r.packet.type === "publish",
    );
    proxy.dropAll();
    await waitFor(() => !sub.isConnected(), { what: "the client to see the drop" });

    expect(await sub.connect(false)).toBe(true);
    const resent = await proxy.waitForPacket(
      (r) => r.conn === 3 && r.dir === "down" && r.packet.type === "publish",
    );
    if (resent.packet.type !== "publish") throw new Error("unreachable");
    expect(resent.packet.dup).toBe(redeliveredDup);
    const pid = resent.packet.packetId;
    const acked = proxy.waitForPacket(
      (r) => r.conn === 3 && r.packet.type === "puback" && r.packet.packetId === pid,
    );
    // A copy read before the drop may still wait in the client's queue (it is delivered, but
    // never acknowledged on the new connection); the broker's copy is then acknowledged.
    const copies = [];
    let done = false;
    void acked.then(() => {
      done = true;
    });
    while (!done) {
      const m = await Promise.race([rx.next(), acked.then(() => null)]);
      if (m) copies.push(m);
    }
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(copies.length).toBeLessThanOrEqual(2);
    for (const m of copies) expect(text(m.payload)).toBe("lost ack");
    expect(proxy.tap.filter((r) => r.packet.type === "puback").map((r) => r.conn)).toEqual([3]);

    await sub.disconnect();
    await sub.connect(true);
  });

  test("subscribe failure: a refused filter rejects with MQTTException 0x80 and the client stays usable", async () => {
    const b = await fx.broker(kind, { refuseSubscribePrefix: "forbidden/" });
    const c = fx.client(b, fx.id("subfail"));
    const rx = receiver(c);
    await c.connect(true);
    const t = fx.id("allowed");
    expect(await c.subscribe(t, 1)).toBe(1);
    if (kind.name === "aedes") {
      const refused = c.subscribe("forbidden/x", 1);
      await expect(refused).rejects.toBeInstanceOf(MQTTException);
      await expect(refused).rejects.toMatchObject({ code: 0x80 });
    } else {
      // mosquitto 2.0.11 (no auth plugin) never refuses an MQTT 3.1.1 SUBSCRIBE: an ACL `deny`
      // grants the filter and filters the deliveries instead. Pinned as observed.
      expect(await c.subscribe("forbidden/x", 1)).toBe(1);
      const { client: other } = await (async () => {
        const o = fx.client(b, fx.id("subfail-pub"));
        await o.connect(true);
        return { client: o };
      })();
      await other.publish("forbidden/x", "must not arrive", false, 1);
      await other.publish(t, "sentinel", false, 1);
      expect(text((await rx.next()).payload)).toBe("sentinel");
    }
    expect(c.isConnected()).toBe(true);
    await c.publish(t, "still works", false, 1);
    expect(text((await rx.next()).payload)).toBe("still works");
  });

  test("$ topics: # and +/+ do not match topics starting with $; an explicit $ filter does", async () => {
    const t = fx.id("dollar");
    const dollarTopic = `$${t}/y`;
    const { client: wild, rx: wrx } = await connected("dollar-wild");
    await wild.subscribe("#", 0);
    await wild.subscribe("+/+", 0);
    const { client: explicit, rx: erx } = await connected("dollar-explicit");
    await explicit.subscribe(`$${t}/#`, 1);

    const { client: pub } = await connected("dollar-pub");
    await pub.publish(dollarTopic, "dollar", false, 1);
    await pub.publish(`${t}/sentinel`, "s", false, 1);

    const e = await erx.next();
    expect([e.topic, text(e.payload)]).toEqual([dollarTopic, "dollar"]);
    // The wildcard subscriber sees the sentinel (once per matching filter), never the $ topic.
    const w = await wrx.next();
    expect(w.topic).toBe(`${t}/sentinel`);

    // The broker's own $SYS topics are not matched by # either.
    const { client: sys, rx: srx } = await connected("dollar-sys");
    await sys.subscribe("$SYS/#", 0);
    if (kind.name === "mosquitto") {
      // mosquitto keeps $SYS/broker/version retained: a $SYS/# subscriber gets it at once.
      const s = await srx.next();
      expect(s.topic.startsWith("$SYS/")).toBe(true);
    }
    await pub.publish(`${t}/sentinel2`, "s2", false, 1);
    const rest = [await wrx.next()];
    while (rest.at(-1)!.topic !== `${t}/sentinel2`) rest.push(await wrx.next());
    expect(rest.every((m) => !m.topic.startsWith("$"))).toBe(true);
  });

  test("$ topics: publishing to $SYS is refused (per broker)", async () => {
    const t = fx.id("sys-pub");
    const { client: sub, rx } = await connected("sys-sub");
    await sub.subscribe(`$SYS/${t}/#`, 1);
    await sub.subscribe(`${t}/sentinel`, 1);
    const { client: pub } = await connected("sys-pub");
    const attempt = pub.publish(`$SYS/${t}/x`, "forged", false, 1);
    if (kind.name === "aedes") {
      // aedes refuses the PUBLISH and, for MQTT 3.1.1, closes the connection: the pending
      // QoS 1 publish rejects with a ConnectionError.
      await expect(attempt).rejects.toBeInstanceOf(ConnectionError);
      expect(pub.isConnected()).toBe(false);
      await pub.connect(true);
    } else {
      // mosquitto acknowledges the PUBLISH but drops it.
      await attempt;
      expect(pub.isConnected()).toBe(true);
    }
    await pub.publish(`${t}/sentinel`, "s", false, 1);
    expect((await rx.next()).topic).toBe(`${t}/sentinel`);
  });

  test("unsubscribe: no more messages after UNSUBACK", async () => {
    const t = fx.id("unsub");
    const { client: c, rx } = await connected("unsub");
    await c.subscribe(`${t}/a`, 1);
    await c.subscribe(`${t}/sentinel`, 1);
    await c.publish(`${t}/a`, "before", false, 1);
    expect(text((await rx.next()).payload)).toBe("before");

    await c.unsubscribe(`${t}/a`);
    await c.publish(`${t}/a`, "after", false, 1);
    await c.publish(`${t}/sentinel`, "s", false, 1);
    const m = await rx.next();
    expect([m.topic, text(m.payload)]).toEqual([`${t}/sentinel`, "s"]);
    // Unsubscribing a filter that was never subscribed is still acknowledged.
    await c.unsubscribe(`${t}/never`);
    expect(m.topicBytes).toEqual(utf8.encode(`${t}/sentinel`));
  });
});
