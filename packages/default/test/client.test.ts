import { type ScriptedLink, type SubscribePacket, text, turns } from "@umqtt/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InvalidArgumentError, MQTTClient, MQTTException } from "../src/index.js";
import { answerSubscribe, connected } from "./session.js";

const clients: MQTTClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.disconnect();
});

async function setup(options = {}) {
  const s = await connected(options);
  clients.push(s.client);
  return { ...s, conn: () => s.peer.conn };
}

/** Subscribes with a handler and answers the SUBACK. */
async function sub(
  s: { client: MQTTClient; peer: ScriptedLink },
  filter: string,
  handler: (data: [Uint8Array, Uint8Array]) => void | Promise<void>,
  qos: 0 | 1 = 0,
): Promise<void> {
  const done = s.client.subscribe(filter, handler, qos);
  await answerSubscribe(s.peer, qos);
  await done;
}

const pubackPids = (peer: ScriptedLink): number[] => peer.all("puback").map((p) => p.pid);

describe("per-topic handlers", () => {
  it("dispatches one message through waitMsg() to every matching handler once, as [topic, msg]", async () => {
    const s = await setup();
    const calls: string[] = [];
    await sub(s, "home/#", ([t, m]) => void calls.push(`# ${text(t)} ${text(m)}`));
    await sub(s, "home/+/temp", ([t, m]) => void calls.push(`+ ${text(t)} ${text(m)}`));
    await sub(s, "garden/temp", () => void calls.push("garden"));
    s.peer.publish("home/kitchen/temp", "21.5");
    expect(await s.client.waitMsg()).toBe(0x30);
    expect(calls).toEqual(["# home/kitchen/temp 21.5", "+ home/kitchen/temp 21.5"]);
  });

  it("passes one array argument whose items are the topic and payload bytes", async () => {
    const s = await setup();
    const handler = vi.fn();
    await sub(s, "a", handler);
    s.peer.publish("a", "x");
    await s.client.waitMsg();
    expect(handler).toHaveBeenCalledTimes(1);
    const [data] = handler.mock.calls[0]!;
    expect(data).toHaveLength(2);
    expect(data[0]).toBeInstanceOf(Uint8Array);
    expect(text(data[0])).toBe("a");
    expect(text(data[1])).toBe("x");
  });

  it("dispatches through checkMsg() too, and checkMsg() resolves null when nothing came", async () => {
    const s = await setup();
    const handler = vi.fn();
    await sub(s, "a/+", handler);
    expect(await s.client.checkMsg()).toBeNull();
    s.peer.publish("a/b", "1", 1, 9);
    await turns(4);
    expect(await s.client.checkMsg()).toBe(0x32);
    expect(handler).toHaveBeenCalledTimes(1);
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([9]);
  });

  it("does not match $SYS topics with # or +/… handlers, only with an explicit $SYS filter", async () => {
    const s = await setup();
    const calls: string[] = [];
    await sub(s, "#", () => void calls.push("#"));
    await sub(s, "+/broker/uptime", () => void calls.push("+"));
    await sub(s, "$SYS/#", () => void calls.push("$SYS/#"));
    s.peer.publish("$SYS/broker/uptime", "1");
    await s.client.waitMsg();
    expect(calls).toEqual(["$SYS/#"]);
  });

  it("awaits a handler's promise before the QoS 1 PUBACK", async () => {
    const s = await setup();
    let release!: () => void;
    await sub(
      s,
      "slow",
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      1,
    );
    s.peer.publish("slow", "x", 1, 3);
    const dispatched = s.client.waitMsg();
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([]);
    release();
    await dispatched;
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([3]);
  });

  it("a handler that throws: the error surfaces from waitMsg(), the other handlers still run, no PUBACK, the client carries on", async () => {
    const s = await setup();
    const boom = new Error("boom");
    let fail = true;
    const other = vi.fn();
    await sub(
      s,
      "t/#",
      () => {
        if (fail) throw boom;
      },
      1,
    );
    await sub(s, "t/+", other, 1);
    s.peer.publish("t/1", "x", 1, 5);
    await expect(s.client.waitMsg()).rejects.toBe(boom);
    expect(other).toHaveBeenCalledTimes(1);
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([]);
    expect(s.client.isConnected()).toBe(true);

    fail = false;
    s.peer.publish("t/2", "y", 1, 6);
    await s.client.waitMsg();
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([6]);
    expect(other).toHaveBeenCalledTimes(2);
  });

  it("several throwing handlers: an AggregateError with every error; async rejections count too", async () => {
    const s = await setup();
    const e1 = new Error("one");
    const e2 = new Error("two");
    const ran = vi.fn();
    await sub(s, "x/#", () => {
      throw e1;
    });
    await sub(s, "x/+", async () => {
      throw e2;
    });
    await sub(s, "x/y", ran);
    s.peer.publish("x/y", "z");
    const err = await s.client.waitMsg().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors).toEqual([e1, e2]);
    expect((err as AggregateError).message).toContain('"x/y"');
    expect(ran).toHaveBeenCalledTimes(1);
  });

  it("a handler may publish QoS 1 and await its PUBACK without deadlock", async () => {
    const s = await setup();
    await sub(
      s,
      "ping",
      async ([, msg]) => {
        await s.client.publish("pong", msg, false, 1);
      },
      1,
    );
    s.peer.publish("ping", "hello", 1, 11);
    const dispatched = s.client.waitMsg();
    const out = await s.peer.nextOf("publish");
    expect(pubackPids(s.peer)).toEqual([]); // not yet: the handler still awaits its own PUBACK
    s.peer.puback(out.pid!);
    await dispatched;
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([11]);
  });

  it("acknowledges QoS 1 messages that no handler matches [MQTT-4.5.0-2]", async () => {
    const s = await setup();
    const handler = vi.fn();
    await sub(s, "a", handler, 1);
    s.peer.publish("nobody/listens", "x", 1, 21);
    expect(await s.client.waitMsg()).toBe(0x32);
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([21]);
    expect(handler).not.toHaveBeenCalled();
  });

  it("sends unmatched messages to the setCallback() callback, which does not disable the handlers", async () => {
    const s = await setup();
    const fallback = vi.fn();
    const handler = vi.fn();
    await sub(s, "mine/#", handler, 1);
    s.client.setCallback(fallback);
    s.peer.publish("mine/1", "a", 1, 1);
    s.peer.publish("other", "b", 1, 2);
    await s.client.waitMsg();
    await s.client.waitMsg();
    expect(handler).toHaveBeenCalledTimes(1);
    expect(fallback).toHaveBeenCalledTimes(1);
    const [topic, msg, info] = fallback.mock.calls[0]!;
    expect([text(topic), text(msg)]).toEqual(["other", "b"]);
    expect(info).toEqual({ qos: 1, retain: false, dup: false });
    await turns(4);
    expect(pubackPids(s.peer)).toEqual([1, 2]);
  });

  it("setCallback() refuses a non-function", async () => {
    const s = await setup();
    expect(() => s.client.setCallback("nope" as never)).toThrow(InvalidArgumentError);
  });

  it("a refused subscription (SUBACK 0x80) rejects with MQTTException 128 and leaves no handler", async () => {
    const s = await setup();
    const handler = vi.fn();
    const refused = s.client.subscribe("secret/#", handler, 1);
    await answerSubscribe(s.peer, 0x80);
    const err = await refused.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MQTTException);
    expect((err as MQTTException).code).toBe(128);
    expect(s.client.handledTopics()).toEqual([]);
    s.peer.publish("secret/x", "leak");
    await s.client.waitMsg();
    expect(handler).not.toHaveBeenCalled();
  });

  it("a refused re-subscription puts the filter's previous handler back", async () => {
    const s = await setup();
    const first = vi.fn();
    const second = vi.fn();
    await sub(s, "a/#", first);
    const refused = s.client.subscribe("a/#", second);
    await answerSubscribe(s.peer, 0x80);
    await expect(refused).rejects.toBeInstanceOf(MQTTException);
    s.peer.publish("a/b", "x");
    await s.client.waitMsg();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).not.toHaveBeenCalled();
  });

  it("a message sent before the SUBACK (a retained one) reaches the new handler", async () => {
    const s = await setup();
    const handler = vi.fn();
    const subscribing = s.client.subscribe("retained/+", handler, 1);
    const packet = await s.peer.nextOf("subscribe");
    s.peer.publish("retained/x", "last", 1, 4);
    s.peer.suback(packet.pid, 1);
    expect(await subscribing).toBe(1);
    await s.client.waitMsg();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("subscribing a filter again replaces its handler", async () => {
    const s = await setup();
    const first = vi.fn();
    const second = vi.fn();
    await sub(s, "a", first);
    await sub(s, "a", second);
    expect(s.client.handledTopics()).toEqual(["a"]);
    s.peer.publish("a", "x");
    await s.client.waitMsg();
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("unsubscribe() removes the handler; later messages go to the callback", async () => {
    const s = await setup();
    const handler = vi.fn();
    const fallback = vi.fn();
    s.client.setCallback(fallback);
    await sub(s, "a/+", handler);
    const leaving = s.client.unsubscribe("a/+");
    const unsub = await s.peer.nextOf("unsubscribe");
    expect(unsub.filters[0]!.filter).toBe("a/+");
    s.peer.unsuback(unsub.pid);
    await leaving;
    expect(s.client.handledTopics()).toEqual([]);
    s.peer.publish("a/b", "late");
    await s.client.waitMsg();
    expect(handler).not.toHaveBeenCalled();
    expect(fallback).toHaveBeenCalledTimes(1);
  });

  it("refuses a subscription nothing could receive (no handler, no callback) before sending anything", async () => {
    const s = await setup();
    const before = s.conn().written.length;
    const err = await s.client.subscribe("orphan/#", 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/^subscribe\(handler\): /);
    await turns(4);
    expect(s.conn().written.length).toBe(before);
    expect(s.peer.all("subscribe")).toEqual([]);
    expect(s.client.isConnected()).toBe(true);
  });

  it("accepts the base form subscribe(topic, qos) with a callback, or for a filter that has a handler", async () => {
    const s = await setup();
    const handler = vi.fn();
    await sub(s, "h", handler);
    const again = s.client.subscribe("h", 1); // e.g. to change the QoS: keeps the handler
    await answerSubscribe(s.peer, 1);
    expect(await again).toBe(1);
    s.client.setCallback(() => {});
    const plain = s.client.subscribe("plain/#");
    const packet = await answerSubscribe(s.peer, 0);
    expect(packet.filters[0]!.filter).toBe("plain/#");
    expect(await plain).toBe(0);
    s.peer.publish("h", "x");
    await s.client.waitMsg();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("refuses bad arguments with InvalidArgumentError, sends nothing and registers nothing", async () => {
    const s = await setup();
    const h = vi.fn();
    await expect(s.client.subscribe("a/#/b", h)).rejects.toThrow(/^subscribe\(topic\): /);
    await expect(s.client.subscribe("a", h, 3 as never)).rejects.toThrow(
      /^subscribe\(qos\): must be 0, 1 or 2/,
    );
    await expect(s.client.subscribe("a", "h" as never)).rejects.toThrow(
      /^subscribe\(handler\): must be a function/,
    );
    const loose = s.client.subscribe as (...args: unknown[]) => Promise<number>;
    await expect(loose.call(s.client, "a", 1, 1)).rejects.toThrow(/^subscribe\(handler\): /);
    await expect(s.client.unsubscribe("")).rejects.toThrow(/^unsubscribe\(topic\): /);
    await turns(4);
    expect(s.peer.all("subscribe")).toEqual([]);
    expect(s.client.handledTopics()).toEqual([]);
  });

  it("keeps handlers across a reconnect: robust re-subscribes, the handlers run again", async () => {
    const s = await setup();
    const handler = vi.fn();
    await sub(s, "keep/+", handler, 1);
    const nextConn = s.broker.nextLink();
    s.peer.conn.close(new Error("network down"));
    const peer2 = await nextConn;
    await peer2.nextOf("connect");
    expect(s.client.isConnected()).toBe(false);
    peer2.connack(false); // no session: the client must re-subscribe
    const resub: SubscribePacket = await answerSubscribe(peer2, 1);
    expect(resub.filters[0]!.filter).toBe("keep/+");
    peer2.publish("keep/x", "after", 1, 2);
    await s.client.waitMsg();
    expect(handler).toHaveBeenCalledTimes(1);
    expect(text(handler.mock.calls[0]![0][1])).toBe("after");
    await turns(4);
    expect(peer2.all("puback").map((p) => p.pid)).toEqual([2]);
  });

  it("isConnected() reports the real state and sends nothing", async () => {
    const s = await setup();
    const before = s.conn().written.length;
    expect(s.client.isConnected()).toBe(true);
    await turns(4);
    expect(s.conn().written.length).toBe(before);
    await s.client.disconnect();
    expect(s.client.isConnected()).toBe(false);
  });

  it("refuses sslParams without ssl: true (umqtt would ignore them and connect in plain text)", () => {
    expect(() => new MQTTClient("id", "h", { sslParams: { cafile: "/nope" } })).toThrow(
      /^MQTTClient\(options\.sslParams\): TLS settings given, but options\.ssl is not set/,
    );
  });
});

describe("the messages() iterator", () => {
  it("gets every message even while the inbox is full and a PUBACK is awaited (no handler dispatch)", async () => {
    const s = await setup({ maxQueuedMessages: 2 });
    const pub = s.client.publish("out", "x", false, 1); // awaits its PUBACK
    const outgoing = await s.peer.nextOf("publish");
    for (let i = 0; i < 6; i++) s.peer.publish(`t/${i}`, `m${i}`);
    await turns(4);
    s.peer.puback(outgoing.pid!); // PUBACK for our publish
    const got: string[] = [];
    for await (const m of s.client.messages()) {
      got.push(text(m.topic));
      if (got.length === 6) break;
    }
    await pub;
    expect(got).toEqual(["t/0", "t/1", "t/2", "t/3", "t/4", "t/5"]);
  });
});

describe("options", () => {
  it("refuses an unknown option and accepts the lower layers' ones", () => {
    expect(() => new MQTTClient("c", "h", { sslParam: {} } as never)).toThrow(
      /unknown option "sslParam".*reconnectDelay/,
    );
    expect(() => new MQTTClient("c", "h", { reconnectDelay: 5, keepalive: 5 })).not.toThrow();
  });
});
