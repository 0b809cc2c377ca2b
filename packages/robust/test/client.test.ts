/**
 * The robust client against a scripted in-memory broker: reconnect semantics byte by byte,
 * the session carried across connections, operations that survive a drop at every moment,
 * the bounded offline queue, errors that are not retried, and the hooks.
 */
import {
  deferred,
  frameOf,
  type PublishPacket,
  ScriptedBroker,
  type ScriptedLink,
  type SubscribePacket,
  settle,
  text,
  turns,
  type UnsubscribePacket,
  type WirePacket,
  waitFor,
  withTimeout,
} from "@umqtt/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConnectionError,
  InvalidArgumentError,
  type Message,
  MQTTClient,
  type MQTTClientOptions,
  MQTTException,
  MqttClientError,
} from "../src/index.js";
import { connected, FAST } from "./helpers.js";

const SAFETY = 2000;
const within = <T>(p: Promise<T>, what: string, ms = SAFETY): Promise<T> =>
  withTimeout(p, ms, what);

/** Waits until the client reports a live connection again. */
const isUp = (client: MQTTClient) =>
  waitFor(() => client.isConnected(), { timeoutMs: SAFETY, what: "reconnected" });
const isDown = (client: MQTTClient) =>
  waitFor(() => !client.isConnected(), { timeoutMs: SAFETY, what: "disconnected" });

/** Asserts the error class and code, never the text. */
function expectCode(err: unknown, code: string): void {
  expect(err).toBeInstanceOf(MqttClientError);
  expect((err as MqttClientError).code).toBe(code);
}

function expectRefusal(err: unknown, code: number): void {
  expect(err).toBeInstanceOf(MQTTException);
  expect((err as MQTTException).code).toBe(code);
}

const clients: MQTTClient[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
});

async function session(
  options: MQTTClientOptions = {},
  extra: Parameters<typeof connected>[1] = {},
): Promise<{ client: MQTTClient; broker: ScriptedBroker; wire: ScriptedLink }> {
  const s = await connected(options, extra);
  clients.push(s.client);
  return s;
}

/** Subscribes with the broker granting `qos`. */
async function subscribed(
  client: MQTTClient,
  wire: ScriptedLink,
  topic: string,
  qos: 0 | 1,
): Promise<void> {
  const done = client.subscribe(topic, qos);
  const sub = await wire.next("subscribe");
  wire.suback(sub.pid!, qos);
  expect(await within(done, `subscribe(${topic})`)).toBe(qos);
}

describe("reconnect", () => {
  it("reconnects with the same client id and cleanSession = false (CONNECT flags 0x00)", async () => {
    const { client, broker, wire } = await session({}, { clientId: "dev-42" });
    expect(wire.all("connect")[0]!.connectFlags).toBe(0x02); // first connect: clean session
    wire.drop();
    const again = await broker.link(1);
    const connect = await again.next("connect");
    expect(connect.clientId).toBe("dev-42");
    expect(connect.connectFlags).toBe(0x00); // [MQTT-3.1.2-4] clean session off, nothing else
    again.connack(true);
    await isUp(client);
  });

  it("re-sends the last will and credentials on every reconnect", async () => {
    const broker = new ScriptedBroker();
    const client = new MQTTClient("w", "memory", {
      ...FAST,
      user: "u",
      password: "p",
      transport: broker.factory,
    });
    clients.push(client);
    client.setLastWill("status/w", "gone", true, 1);
    const up = client.connect();
    const first = await (await broker.link(0)).accept();
    await up;
    // user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04 | clean 0x02
    expect(first.connectFlags).toBe(0xee);
    broker.links[0]!.drop();
    const second = await (await broker.link(1)).accept(true);
    expect(second.connectFlags).toBe(0xec); // the same, clean session off
    await isUp(client);
  });

  it("makes the first attempt at once and backs off only after a failed one (umqtt 4.2)", async () => {
    const delays: number[] = [];
    class Recorder extends MQTTClient {
      override async delay(attempt: number): Promise<void> {
        delays.push(attempt);
      }
    }
    const { client, broker, wire } = await session({}, { Client: Recorder });
    wire.drop();
    await (await broker.link(1)).accept(true);
    await isUp(client);
    expect(delays).toEqual([]);
  });

  it("runs a subclass's connect() override on every reconnect (umqtt.robust 1.0.3)", async () => {
    const calls: boolean[] = [];
    class Lwt extends MQTTClient {
      override async connect(cleanSession = true, timeout?: number): Promise<boolean> {
        calls.push(cleanSession);
        return super.connect(cleanSession, timeout);
      }
    }
    const { client, broker, wire } = await session({}, { Client: Lwt });
    wire.drop();
    await (await broker.link(1)).accept(true);
    await isUp(client);
    broker.links[1]!.drop();
    await (await broker.link(2)).accept(false);
    await isUp(client);
    expect(calls).toEqual([true, false, false]);
  });

  it("a first connect() that fails rejects and is not retried (as umqtt: connect is not protected)", async () => {
    const broker = new ScriptedBroker();
    broker.down = true;
    const client = new MQTTClient("c", "memory", { ...FAST, transport: broker.factory });
    clients.push(client);
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    await turns(5);
    expect(broker.attempts).toBe(1);
    // Before any successful connect, operations reject at once instead of queueing.
    for (const op of [
      () => client.publish("t", "x", false, 1),
      () => client.subscribe("t"),
      () => client.unsubscribe("t"),
    ]) {
      expectCode(
        await within(
          op().catch((e: unknown) => e),
          "op before connect",
        ),
        "ERR_NOT_CONNECTED",
      );
    }
  });
});

describe("session carried across connections", () => {
  it("re-sends unacked QoS 1 PUBLISHes first after CONNACK: original order, DUP = 1, original ids", async () => {
    const { client, broker, wire } = await session();
    const pubs = ["one", "two", "three"].map((m) => settle(client.publish("t/q1", m, false, 1)));
    const sent = [
      await wire.next("publish"),
      await wire.next("publish"),
      await wire.next("publish"),
    ];
    expect(sent.map((p) => [p.pid, p.dup, text(p.payload)])).toEqual([
      [1, false, "one"],
      [2, false, "two"],
      [3, false, "three"],
    ]);
    wire.puback(2); // "two" is done; only 1 and 3 are re-sent
    await within(pubs[1]!.done, "PUBACK 2");
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    const resent = [await again.next("publish"), await again.next("publish")];
    expect(resent.map((p) => [p.pid, p.dup, p.qos, text(p.payload)])).toEqual([
      [1, true, 1, "one"],
      [3, true, 1, "three"],
    ]);
    expect(frameOf(resent[0]!).first).toBe(0x3a); // PUBLISH | DUP | QoS 1 [MQTT-3.3.1-1]
    expect(pubs[0]!.state).toBe("pending");
    again.puback(1);
    again.puback(3);
    await within(Promise.all(pubs.map((p) => p.done)), "PUBACKs on the new connection");
    expect(pubs.map((p) => p.state)).toEqual(["resolved", "resolved", "resolved"]);
  });

  it("sends a QoS 1 publish made while offline after the re-sends, without DUP, with a new id", async () => {
    const { client, broker, wire } = await session();
    const early = settle(client.publish("t", "early", false, 1));
    expect((await wire.next("publish")).pid).toBe(1);
    wire.drop();
    const again = await broker.link(1); // reconnecting: CONNECT written, no CONNACK yet
    expect(client.isConnected()).toBe(false);
    const late = settle(client.publish("t", "late", false, 1));
    await again.accept(true);
    const resent = await again.next("publish");
    const fresh = await again.next("publish");
    expect([text(resent.payload), resent.dup, resent.pid]).toEqual(["early", true, 1]);
    expect([text(fresh.payload), fresh.dup, fresh.pid]).toEqual(["late", false, 2]);
    again.puback(1);
    again.puback(2);
    await within(Promise.all([early.done, late.done]), "both publishes");
    expect([early.state, late.state]).toEqual(["resolved", "resolved"]);
  });

  it("session present = false: re-subscribes every active subscription before anything else", async () => {
    const { client, broker, wire } = await session();
    await subscribed(client, wire, "a/+", 1);
    await subscribed(client, wire, "b/#", 0);
    const unacked = settle(client.publish("t", "unacked", false, 1));
    const first = await wire.next("publish");
    wire.drop();
    const again = await broker.link(1);
    const offline0 = settle(client.publish("t", "offline", false, 0));
    const connect = await again.next("connect");
    expect(connect.connectFlags).toBe(0x00);
    again.connack(false); // the broker lost the session
    const order: WirePacket[] = [];
    for (let i = 0; i < 4; i++) order.push(await again.next());
    expect(order.map((p) => p.type)).toEqual(["subscribe", "subscribe", "publish", "publish"]);
    const [s0, s1, p2, p3] = order as [
      SubscribePacket,
      SubscribePacket,
      PublishPacket,
      PublishPacket,
    ];
    expect(s0.filters).toEqual([{ filter: "a/+", qos: 1 }]);
    expect(s1.filters).toEqual([{ filter: "b/#", qos: 0 }]);
    expect(new Set([s0.pid, s1.pid, first.pid]).size).toBe(3); // no id reused
    expect([p2.pid, p2.dup, text(p2.payload)]).toEqual([first.pid, true, "unacked"]);
    expect([p3.qos, text(p3.payload)]).toEqual([0, "offline"]);
    again.suback(s0.pid, 1);
    again.suback(s1.pid, 0);
    again.puback(first.pid!);
    await within(Promise.all([unacked.done, offline0.done]), "publishes");
    expect([unacked.state, offline0.state]).toEqual(["resolved", "resolved"]);
  });

  it("session present = true: no re-subscribe", async () => {
    const { client, broker, wire } = await session();
    await subscribed(client, wire, "a/+", 1);
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    await isUp(client);
    await client.publish("t", "probe");
    expect((await again.next()).type).toBe("publish");
    await turns();
    expect(again.unread).toEqual([]);
  });

  it("renews again on the next reconnect when the renewal was cut off, even if that one has a session", async () => {
    const { client, broker, wire } = await session();
    await subscribed(client, wire, "a/+", 1);
    wire.drop();
    const second = await broker.link(1);
    await second.accept(false);
    await second.next("subscribe");
    second.drop(); // before the SUBACK: the renewal is unconfirmed
    const third = await broker.link(2);
    await third.accept(true);
    const renewed = await third.next("subscribe");
    expect(renewed.filters).toEqual([{ filter: "a/+", qos: 1 }]);
    third.suback(renewed.pid!, 1);
    await isUp(client);
  });

  it("a refused renewal (SUBACK 0x80) forgets that subscription", async () => {
    const logs: [boolean, unknown][] = [];
    class Logged extends MQTTClient {
      override log(inReconnect: boolean, err: unknown): void {
        logs.push([inReconnect, err]);
      }
    }
    const { client, broker, wire } = await session({}, { Client: Logged });
    await subscribed(client, wire, "acl/x", 1);
    wire.drop();
    const second = await broker.link(1);
    await second.accept(false);
    second.suback((await second.next("subscribe")).pid!, 0x80);
    await waitFor(() => logs.some(([r, e]) => r && e instanceof MQTTException), {
      what: "renewal refusal logged",
    });
    expectRefusal(logs.find(([r]) => r)![1], 0x80);
    second.drop();
    const third = await broker.link(2);
    await third.accept(false);
    await isUp(client);
    await client.publish("t", "probe");
    expect((await third.next()).type).toBe("publish"); // no SUBSCRIBE for acl/x
  });

  it("an incoming QoS 1 message taken after the drop is not PUBACKed on the new connection", async () => {
    const { client, broker, wire } = await session();
    const got: string[] = [];
    client.setCallback((_t, msg) => {
      got.push(text(msg));
    });
    wire.publish("t", "m1", 1, 7);
    await turns();
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    await within(client.waitMsg(), "waitMsg");
    expect(got).toEqual(["m1"]);
    // The broker redelivers it (DUP) on this connection, and that copy is acknowledged.
    again.publish("t", "m1", 1, 7, { dup: true });
    expect(await within(client.waitMsg(), "waitMsg")).toBe(0x3a);
    const ack = await again.next("puback");
    expect(ack.pid).toBe(7);
    expect(again.unread).toEqual([]);
  });
});

describe("operations survive a drop at every moment", () => {
  it("subscribe: drop while awaiting the SUBACK → SUBSCRIBE again on the next connection", async () => {
    const { client, broker, wire } = await session();
    const sub = settle(client.subscribe("s/+", 1));
    await wire.next("subscribe");
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    const retry = await again.next("subscribe");
    expect(retry.filters).toEqual([{ filter: "s/+", qos: 1 }]);
    again.suback(retry.pid!, 1);
    await within(sub.done, "subscribe");
    expect(sub.value).toBe(1);
    // …and it is remembered: renewed after a reconnect without a session.
    again.drop();
    const third = await broker.link(2);
    await third.accept(false);
    expect((await third.next("subscribe")).filters).toEqual([{ filter: "s/+", qos: 1 }]);
  });

  it("subscribe and unsubscribe called while reconnecting wait and go out after the CONNACK", async () => {
    const { client, broker, wire } = await session();
    await subscribed(client, wire, "old/#", 0);
    wire.drop();
    const again = await broker.link(1);
    const sub = settle(client.subscribe("new/#", 1));
    const unsub = settle(client.unsubscribe("old/#"));
    await turns();
    expect(again.unread.map((p) => p.type)).toEqual(["connect"]);
    await again.accept(true);
    const s = await again.next("subscribe");
    const u = await again.next("unsubscribe");
    expect(s.filters).toEqual([{ filter: "new/#", qos: 1 }]);
    expect(u.filters).toEqual([{ filter: "old/#" }]);
    again.suback(s.pid!, 1);
    again.unsuback(u.pid!);
    await within(Promise.all([sub.done, unsub.done]), "subscribe + unsubscribe");
    expect([sub.state, unsub.state]).toEqual(["resolved", "resolved"]);
  });

  it("unsubscribe: drop while awaiting the UNSUBACK → UNSUBSCRIBE again; the filter is never renewed", async () => {
    const { client, broker, wire } = await session();
    await subscribed(client, wire, "u/1", 1);
    const unsub = settle(client.unsubscribe("u/1"));
    await wire.next("unsubscribe");
    wire.drop();
    const again = await broker.link(1);
    await again.accept(false); // no session: u/1 must not come back
    const retry = (await again.next()) as UnsubscribePacket;
    expect(retry.type).toBe("unsubscribe");
    expect(retry.filters).toEqual([{ filter: "u/1" }]);
    again.unsuback(retry.pid!);
    await within(unsub.done, "unsubscribe");
    expect(unsub.state).toBe("resolved");
  });

  it("publish QoS 1: drop while awaiting the PUBACK, and again during the reconnect (CONNECT sent, no CONNACK)", async () => {
    const { client, broker, wire } = await session();
    const pub = settle(client.publish("t", "x", false, 1));
    await wire.next("publish");
    wire.drop();
    const second = await broker.link(1);
    await second.next("connect");
    second.drop();
    const third = await broker.link(2);
    await third.accept(true);
    const resent = await third.next("publish");
    expect([resent.pid, resent.dup]).toEqual([1, true]);
    third.puback(1);
    await within(pub.done, "publish");
    expect(pub.state).toBe("resolved");
  });

  it("publish QoS 1 waiting for an in-flight slot survives the drop and keeps call order", async () => {
    const { client, broker, wire } = await session({ maxInflight: 1 });
    const a = settle(client.publish("t", "a", false, 1));
    const b = settle(client.publish("t", "b", false, 1));
    expect(text((await wire.next("publish")).payload)).toBe("a");
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    const ra = await again.next("publish");
    expect([text(ra.payload), ra.dup]).toEqual(["a", true]);
    again.puback(ra.pid!);
    const rb = await again.next("publish");
    expect([text(rb.payload), rb.dup]).toEqual(["b", false]);
    again.puback(rb.pid!);
    await within(Promise.all([a.done, b.done]), "publishes");
    expect([a.state, b.state]).toEqual(["resolved", "resolved"]);
  });

  it("publish QoS 0 while writing: one still in the write backlog is sent on the next connection; one handed to the socket is not", async () => {
    const { client, broker, wire } = await session();
    wire.conn.block(); // the socket reports "full" from the next write on
    await client.publish("t", "handed-over"); // resolves once written (into a full socket)
    await turns();
    const queued = settle(client.publish("t", "in-backlog"));
    await turns();
    expect(queued.state).toBe("pending"); // waiting for drain
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    await within(queued.done, "backlogged QoS 0 publish");
    expect(queued.state).toBe("resolved");
    const out = await again.next("publish");
    expect(text(out.payload)).toBe("in-backlog");
    await turns();
    expect(again.unread).toEqual([]); // "handed-over" is not repeated: QoS 0 is at most once
  });

  it("waitMsg(): pending across a drop, resolves with the first message on the new connection", async () => {
    const { client, broker, wire } = await session();
    const got: string[] = [];
    client.setCallback((t) => {
      got.push(text(t));
    });
    const waiting = settle(client.waitMsg());
    await turns();
    wire.drop();
    const again = await broker.link(1);
    await again.accept(true);
    expect(waiting.state).toBe("pending");
    again.publish("news", "hello", 1, 9);
    await within(waiting.done, "waitMsg across the drop");
    expect(waiting.value).toBe(0x32);
    expect(got).toEqual(["news"]);
    expect((await again.next("puback")).pid).toBe(9);
  });

  it("messages(): next() pending across a drop yields the message sent after the reconnect", async () => {
    const { client, broker, wire } = await session();
    const it = client.messages();
    const next = settle(it.next());
    await turns();
    wire.drop();
    const again = await broker.link(1);
    await again.next("connect");
    await turns();
    again.connack(true);
    again.publish("m", "payload", 1, 3);
    await within(next.done, "messages().next()");
    const { value } = next.value as IteratorResult<Message>;
    expect(text((value as Message).payload)).toBe("payload");
    const after = settle(it.next()); // acknowledges the first
    expect((await again.next("puback")).pid).toBe(3);
    await client.disconnect();
    await within(after.done, "iteration end");
    expect(after.value).toEqual({ done: true, value: undefined });
  });
});

describe("offline queue", () => {
  async function offline(options: MQTTClientOptions) {
    const s = await session(options);
    s.wire.drop();
    const again = await s.broker.link(1); // reconnecting, held before the CONNACK
    await again.next("connect");
    return { ...s, again };
  }

  it("policy reject: a full queue refuses the new publish (QoS 0 or 1) with ERR_OFFLINE_QUEUE_FULL", async () => {
    const { client, again } = await offline({ maxOfflineQueue: 2, offlinePolicy: "reject" });
    const a = settle(client.publish("t", "a", false, 0));
    const b = settle(client.publish("t", "b", false, 1));
    const c = client.publish("t", "c", false, 0).catch((e: unknown) => e);
    const d = client.publish("t", "d", false, 1).catch((e: unknown) => e);
    expectCode(await within(c, "c refused"), "ERR_OFFLINE_QUEUE_FULL");
    expectCode(await within(d, "d refused"), "ERR_OFFLINE_QUEUE_FULL");
    again.connack(true);
    const sent = [await again.next("publish"), await again.next("publish")];
    expect(sent.map((p) => text(p.payload))).toEqual(["a", "b"]);
    again.puback(sent[1]!.pid!);
    await within(Promise.all([a.done, b.done]), "kept publishes");
    expect([a.state, b.state]).toEqual(["resolved", "resolved"]);
  });

  it("policy drop-oldest (default): drops the oldest QoS 0; a QoS 1 is refused rather than dropped", async () => {
    const { client, again } = await offline({ maxOfflineQueue: 3 });
    const q1a = settle(client.publish("t", "q1a", false, 1));
    const q0a = settle(client.publish("t", "q0a", false, 0));
    const q0b = settle(client.publish("t", "q0b", false, 0));
    const q1b = settle(client.publish("t", "q1b", false, 1)); // drops q0a
    const q1c = settle(client.publish("t", "q1c", false, 1)); // drops q0b
    const q1d = settle(client.publish("t", "q1d", false, 1)); // only QoS 1 left: refused
    await within(Promise.all([q0a.done, q0b.done, q1d.done]), "the losers");
    for (const lost of [q0a, q0b, q1d]) {
      expect(lost.state).toBe("rejected");
      expectCode(lost.error, "ERR_OFFLINE_QUEUE_FULL");
    }
    again.connack(true);
    const sent = [
      await again.next("publish"),
      await again.next("publish"),
      await again.next("publish"),
    ];
    expect(sent.map((p) => [text(p.payload), p.dup])).toEqual([
      ["q1a", false],
      ["q1b", false],
      ["q1c", false],
    ]);
    for (const p of sent) again.puback(p.pid!);
    await within(Promise.all([q1a.done, q1b.done, q1c.done]), "kept publishes");
    expect([q1a.state, q1b.state, q1c.state]).toEqual(["resolved", "resolved", "resolved"]);
  });

  it("maxOfflineQueue = 0: publishing while offline rejects at once", async () => {
    const { client } = await offline({ maxOfflineQueue: 0 });
    expectCode(
      await within(
        client.publish("t", "x", false, 1).catch((e: unknown) => e),
        "refusal",
      ),
      "ERR_OFFLINE_QUEUE_FULL",
    );
  });
});

describe("errors a reconnect cannot cure are not retried", () => {
  for (const code of [4, 5]) {
    it(`CONNACK ${code} on a reconnect: every pending operation rejects with MQTTException ${code}`, async () => {
      const { client, broker, wire } = await session();
      client.setCallback(() => {});
      const inflight = settle(client.publish("t", "in-flight", false, 1));
      await wire.next("publish");
      const waiting = settle(client.waitMsg());
      const iter = settle(client.messages().next());
      await turns();
      wire.drop();
      const again = await broker.link(1);
      const queued0 = settle(client.publish("t", "queued", false, 0));
      const queued1 = settle(client.publish("t", "queued", false, 1));
      const sub = settle(client.subscribe("s"));
      await again.accept(false, code);
      await within(
        Promise.all([inflight, waiting, iter, queued0, queued1, sub].map((p) => p.done)),
        "every pending operation",
      );
      for (const p of [inflight, waiting, iter, queued0, queued1, sub]) {
        expect(p.state).toBe("rejected");
        expectRefusal(p.error, code);
      }
      await turns(5);
      expect(broker.attempts).toBe(2); // no further attempt
      expect(client.isConnected()).toBe(false);
    });
  }

  it("CONNACK 3 (server unavailable) is transient: retried", async () => {
    const { client, broker, wire } = await session();
    const pub = settle(client.publish("t", "x", false, 1));
    await wire.next("publish");
    wire.drop();
    await (await broker.link(1)).accept(false, 3);
    const third = await broker.link(2);
    await third.accept(true);
    third.puback((await third.next("publish")).pid!);
    await within(pub.done, "publish");
    expect(pub.state).toBe("resolved");
  });

  it("invalid arguments reject at once while offline, and nothing is written", async () => {
    const { client, broker, wire } = await session();
    client.setCallback(() => {});
    wire.drop();
    const again = await broker.link(1);
    await again.next("connect");
    const calls: [string, () => Promise<unknown>][] = [
      ["publish wildcard topic", () => client.publish("a/+", "x")],
      ["publish empty topic", () => client.publish("", "x")],
      ["publish QoS 3", () => client.publish("t", "x", false, 3 as never)],
      ["publish retain not boolean", () => client.publish("t", "x", 1 as never)],
      ["publish msg not bytes", () => client.publish("t", 42 as never)],
      ["subscribe bad filter", () => client.subscribe("a/#/b")],
      ["subscribe QoS 3", () => client.subscribe("a", 3 as never)],
      ["unsubscribe empty", () => client.unsubscribe("")],
      ["checkMsg(0)", () => client.checkMsg(0)],
    ];
    for (const [what, call] of calls) {
      const err = await within(
        call().catch((e: unknown) => e),
        what,
        200,
      );
      expect(err, what).toBeInstanceOf(InvalidArgumentError);
      expectCode(err, "ERR_INVALID_ARGUMENT");
    }
    again.connack(true);
    await isUp(client);
    await turns(5);
    expect(again.unread).toEqual([]);
  });

  it("SUBACK 0x80 rejects with MQTTException 128, is not retried and not remembered", async () => {
    const { client, broker, wire } = await session();
    const sub = client.subscribe("forbidden/#", 1).catch((e: unknown) => e);
    const req = await wire.next("subscribe");
    wire.suback(req.pid!, 0x80);
    expectRefusal(await within(sub, "refused subscribe"), 128);
    await turns(5);
    expect(wire.unread).toEqual([]);
    wire.drop();
    const again = await broker.link(1);
    await again.accept(false);
    await isUp(client);
    await turns(5);
    expect(again.unread).toEqual([]); // nothing to renew
  });
});

describe("giving up and closing", () => {
  it("maxReconnectAttempts: after that many failures everything pending rejects with ERR_RECONNECT_FAILED", async () => {
    const logs: unknown[] = [];
    class Logged extends MQTTClient {
      override log(inReconnect: boolean, err: unknown): void {
        if (inReconnect) logs.push(err);
      }
    }
    const { client, broker, wire } = await session({ maxReconnectAttempts: 3 }, { Client: Logged });
    client.setCallback(() => {});
    const inflight = settle(client.publish("t", "x", false, 1));
    await wire.next("publish");
    const waiting = settle(client.waitMsg());
    broker.down = true;
    wire.drop();
    await isDown(client);
    const queued = settle(client.publish("t", "q", false, 0));
    const sub = settle(client.subscribe("s"));
    await within(
      Promise.all([inflight, waiting, queued, sub].map((p) => p.done)),
      "everything pending",
    );
    for (const p of [inflight, waiting, queued, sub]) {
      expect(p.state).toBe("rejected");
      expectCode(p.error, "ERR_RECONNECT_FAILED");
      expect((p.error as Error).cause).toBeInstanceOf(ConnectionError);
    }
    expect(broker.attempts).toBe(1 + 3);
    expect(logs).toHaveLength(3);
    // Still wanted: the next operation starts a new round of attempts.
    broker.down = false;
    const later = settle(client.publish("t", "later", false, 1));
    const again = await broker.link(1);
    await again.accept(true);
    const sent = await again.next("publish");
    expect([text(sent.payload), sent.dup]).toEqual(["later", false]);
    again.puback(sent.pid!);
    await within(later.done, "publish after giving up");
    expect(later.state).toBe("resolved");
  });

  it("disconnect() while reconnect attempts fail: stops reconnecting, pending work rejects ERR_CLIENT_CLOSED", async () => {
    const { client, broker, wire } = await session({ reconnectDelay: 5, maxReconnectDelay: 5 });
    client.setCallback(() => {});
    const inflight = settle(client.publish("t", "x", false, 1));
    await wire.next("publish");
    const waiting = settle(client.waitMsg());
    const iter = settle(client.messages().next());
    broker.down = true;
    wire.drop();
    await waitFor(() => broker.attempts >= 3, { what: "a few failed attempts" });
    const queued = settle(client.publish("t", "q", false, 0));
    const sub = settle(client.subscribe("s"));
    const unsub = settle(client.unsubscribe("s"));
    const check = settle(client.checkMsg());
    await within(client.disconnect(), "disconnect");
    await within(
      Promise.all([inflight, waiting, queued, sub, unsub, check, iter].map((p) => p.done)),
      "everything pending",
    );
    for (const p of [inflight, waiting, queued, sub, unsub, check]) {
      expect(p.state).toBe("rejected");
      expectCode(p.error, "ERR_CLIENT_CLOSED");
    }
    expect(iter.value).toEqual({ done: true, value: undefined }); // the iteration just ends
    const attempts = broker.attempts;
    broker.down = false;
    await new Promise((r) => setTimeout(r, 30)); // several backoff periods
    expect(broker.attempts).toBe(attempts);
    expect(client.isConnected()).toBe(false);
    // Later calls fail fast, they do not queue.
    expectCode(
      await within(
        client.publish("t", "x").catch((e: unknown) => e),
        "publish",
      ),
      "ERR_CLIENT_CLOSED",
    );
  });

  it("disconnect() while a reconnect awaits its CONNACK closes that connection; a late CONNACK revives nothing", async () => {
    const { client, broker, wire } = await session();
    const inflight = settle(client.publish("t", "x", false, 1));
    await wire.next("publish");
    wire.drop();
    const again = await broker.link(1);
    await again.next("connect");
    await within(client.disconnect(), "disconnect");
    await within(inflight.done, "in-flight publish");
    expectCode(inflight.error, "ERR_CLIENT_CLOSED");
    expect(again.conn.closed).toBe(true);
    again.connack(true);
    await turns(5);
    expect(client.isConnected()).toBe(false);
    expect(broker.attempts).toBe(2);
  });

  it("disconnect() while a reconnect is still opening its socket: the attempt does not bring the client back", async () => {
    const { client, broker, wire } = await session();
    const gate = deferred();
    broker.hold = gate.promise;
    wire.drop();
    await waitFor(() => broker.attempts === 2, { what: "reconnect attempt" });
    await within(client.disconnect(), "disconnect");
    broker.hold = undefined;
    gate.resolve();
    const late = await broker.link(1);
    await turns(5);
    // The late transport is closed before anything is written on it: not even a CONNECT.
    expect(late.packets).toHaveLength(0);
    expect(client.isConnected()).toBe(false);
    expect(broker.attempts).toBe(2);
  });

  it("after disconnect(), connect() works again and the client is robust again", async () => {
    const { client, broker } = await session();
    await client.disconnect();
    const up = client.connect(false);
    await (await broker.link(1)).accept(true);
    expect(await within(up, "connect")).toBe(true);
    broker.links[1]!.drop();
    await (await broker.link(2)).accept(true);
    await isUp(client);
  });
});

describe("hooks and logging", () => {
  it("delay(attempt) and log(inReconnect, err) are called with increasing attempts and the errors", async () => {
    const attempts: number[] = [];
    const logs: [boolean, unknown][] = [];
    let broker!: ScriptedBroker;
    class Hooked extends MQTTClient {
      override async delay(attempt: number): Promise<void> {
        attempts.push(attempt);
        if (attempt === 3) broker.down = false;
      }
      override log(inReconnect: boolean, err: unknown): void {
        logs.push([inReconnect, err]);
      }
    }
    const s = await session({}, { Client: Hooked });
    broker = s.broker;
    broker.down = true;
    s.wire.drop();
    await (await broker.link(1)).accept(true);
    await isUp(s.client);
    expect(attempts).toEqual([1, 2, 3]);
    expect(logs.map(([r]) => r)).toEqual([false, true, true, true]);
    expectCode(logs[0]![1], "ERR_CONNECTION_CLOSED"); // the lost connection, once
    for (const [, err] of logs.slice(1)) {
      expect(err).toBeInstanceOf(ConnectionError); // each failed attempt
    }
  });

  it("a reconnect() override runs for every outage", async () => {
    let outages = 0;
    class Counted extends MQTTClient {
      override async reconnect(): Promise<boolean> {
        outages++;
        return super.reconnect();
      }
    }
    const { client, broker, wire } = await session({}, { Client: Counted });
    wire.drop();
    await (await broker.link(1)).accept(true);
    await isUp(client);
    broker.links[1]!.drop();
    await (await broker.link(2)).accept(true);
    await isUp(client);
    expect(outages).toBe(2);
  });

  it("debug prints through console.log; without it nothing is printed", async () => {
    const print = vi.spyOn(console, "log").mockImplementation(() => {});
    const quiet = await session();
    quiet.wire.drop();
    await (await quiet.broker.link(1)).accept(true);
    await isUp(quiet.client);
    expect(print).not.toHaveBeenCalled();

    const loud = await session({ debug: true });
    loud.broker.down = true;
    loud.wire.drop();
    await waitFor(() => loud.broker.attempts >= 2, { what: "a failed attempt" });
    loud.broker.down = false;
    await (await loud.broker.link(1)).accept(true);
    await isUp(loud.client);
    expect(print).toHaveBeenCalledWith(expect.stringMatching(/^mqtt: ConnectionError: /));
    expect(print).toHaveBeenCalledWith(expect.stringMatching(/^mqtt reconnect: ConnectionError: /));
  });
});

describe("checkMsg(attempts)", () => {
  it("while the broker is down resolves null within 1 s: at most 250 ms per attempt", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { client, broker, wire } = await session({ reconnectDelay: 100, maxReconnectDelay: 100 });
    client.setCallback(() => {});
    broker.down = true;
    wire.drop();
    await vi.waitFor(() => expect(client.isConnected()).toBe(false));
    for (const [attempts, ms] of [
      [undefined, 500], // umqtt's default: 2 attempts
      [1, 250],
      [4, 1000],
    ] as const) {
      const started = Date.now();
      const check = settle(client.checkMsg(attempts));
      await vi.advanceTimersByTimeAsync(ms - 1);
      expect(check.state, `checkMsg(${attempts}) before ${ms} ms`).toBe("pending");
      await vi.advanceTimersByTimeAsync(1);
      await check.done;
      expect(check.state).toBe("resolved");
      expect(check.value).toBeNull();
      expect(Date.now() - started).toBeLessThanOrEqual(1000);
    }
    expect(broker.attempts).toBeGreaterThan(10); // reconnecting went on in the background
  });

  it("dispatches a message that arrives once the reconnect succeeds within its wait", async () => {
    const { client, broker, wire } = await session();
    const got: string[] = [];
    client.setCallback((_t, m) => {
      got.push(text(m));
    });
    wire.drop();
    const again = await broker.link(1);
    const check = settle(client.checkMsg());
    await again.accept(true);
    again.publish("t", "while-checking");
    await turns();
    await within(check.done, "checkMsg");
    // The first attempt found no connection; the next one found the message.
    expect(check.value === 0x30 || check.value === null).toBe(true);
    if (check.value === null) expect(await within(client.checkMsg(), "checkMsg")).toBe(0x30);
    expect(got).toEqual(["while-checking"]);
  });

  it("when connected it never waits for the network: null when nothing has arrived", async () => {
    const { client } = await session();
    client.setCallback(() => {});
    expect(await within(client.checkMsg(), "checkMsg", 100)).toBeNull();
  });
});
