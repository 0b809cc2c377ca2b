/**
 * The reconnect supervisor against brokers that misbehave in ways a plain outage does not:
 * accepting and then dropping at once (a duplicate client id, an ACL), an application that
 * connects by itself during the backoff, a disconnect()+connect() during an attempt, and a
 * flood that overflows the inbox while a request waits.
 */
import { ScriptedBroker, settle, turns } from "@umqtt/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  ErrorCode,
  InvalidArgumentError,
  MQTTClient,
  type MQTTClientOptions,
} from "../src/index.js";
import { Supervisor } from "../src/supervisor.js";
import { connected, FAST } from "./helpers.js";

const clients: MQTTClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.disconnect().catch(() => {});
});

class DelayRecorder extends MQTTClient {
  readonly delays: number[] = [];
  override async delay(attempt: number): Promise<void> {
    this.delays.push(attempt);
  }
}

describe("connections that die young", () => {
  it("back off like failed attempts: no reconnect storm against a broker that accepts, then drops", async () => {
    const { client, broker, wire } = await connected<DelayRecorder>(
      { reconnectDelay: 60_000 },
      { Client: DelayRecorder },
    );
    clients.push(client);
    wire.drop();
    for (let i = 1; i <= 5; i++) {
      const next = await broker.link(i);
      await next.accept(true);
      next.drop();
    }
    await broker.link(6);
    // One immediate redial (umqtt), then each young death waits longer: 1, 2, 3, 4 …
    expect(client.delays).toEqual([1, 2, 3, 4, 5]);
  });

  it("count towards maxReconnectAttempts: the client gives up instead of cycling forever", async () => {
    const { client, broker, wire } = await connected(
      { reconnectDelay: 60_000, maxReconnectAttempts: 3 },
      { Client: DelayRecorder },
    );
    clients.push(client);
    const pub = settle(client.publish("t", "x", false, 1));
    wire.drop();
    for (let i = 1; i <= 3; i++) {
      const next = await broker.link(i);
      await next.accept(true);
      next.drop();
    }
    await pub.done;
    expect(pub.state).toBe("rejected");
    expect(pub.error).toMatchObject({ code: ErrorCode.RECONNECT_FAILED });
  });

  it("a connection that lived past reconnectDelay resets the count", async () => {
    const { client, broker, wire } = await connected<DelayRecorder>(
      { reconnectDelay: 1 },
      { Client: DelayRecorder },
    );
    clients.push(client);
    await new Promise((r) => setTimeout(r, 5));
    wire.drop();
    const w1 = await broker.link(1);
    await w1.accept(true);
    await new Promise((r) => setTimeout(r, 5));
    w1.drop();
    await (await broker.link(2)).accept(true);
    expect(client.delays).toEqual([]);
  });
});

describe("the application's own connect()", () => {
  it("during the backoff is not torn down by the reconnect loop", async () => {
    let release = (): void => {};
    class Waiting extends MQTTClient {
      override delay(): Promise<void> {
        return new Promise((r) => {
          release = r;
        });
      }
    }
    const { client, broker, wire } = await connected(
      {},
      { Client: Waiting as unknown as typeof MQTTClient },
    );
    clients.push(client);
    broker.down = true;
    wire.drop();
    await turns(); // the first redial fails: the loop now waits in delay()
    broker.down = false;
    const mine = client.connect(true);
    const w = await broker.link(1);
    const connect = await w.accept(false);
    expect(connect.connectFlags! & 0x02).toBe(0x02); // the application's clean session
    await mine;
    release();
    await turns(5);
    expect(broker.links).toHaveLength(2); // no cleanSession=false connection replaced it
    expect(client.isConnected()).toBe(true);
  });

  it("after disconnect() during an attempt: the old loop stops, the new session's work survives", async () => {
    const { client, broker, wire } = await connected();
    clients.push(client);
    broker.hold = new Promise(() => {}); // the next attempt hangs while opening
    wire.drop();
    await turns();
    await client.disconnect();
    broker.hold = undefined;
    const again = client.connect(true);
    const w = await broker.link(1);
    await w.accept(false);
    await again;
    const pub = settle(client.publish("t", "x", false, 1));
    const p = await w.next("publish");
    w.puback(p.pid!);
    await pub.done;
    expect(pub.state).toBe("resolved");
    await turns(5);
    expect(broker.links).toHaveLength(2);
  });
});

describe("options", () => {
  it("refuses an unknown option, and accepts every robust one", () => {
    const transport = new ScriptedBroker().factory;
    expect(() => new MQTTClient("c", "memory", { transport, reconectDelay: 5 } as never)).toThrow(
      /unknown option "reconectDelay".*maxReconnectAttempts/,
    );
    expect(
      () =>
        new MQTTClient("c", "memory", {
          transport,
          debug: false,
          reconnectDelay: 5,
          maxReconnectDelay: 50,
          maxReconnectAttempts: 3,
          maxOfflineQueue: 10,
          offlinePolicy: "reject",
        }),
    ).not.toThrow();
  });

  const bad: [string, MQTTClientOptions, string][] = [
    ["a delay a timer cannot hold", { maxReconnectDelay: 2 ** 31 }, "options.maxReconnectDelay"],
    ["a delay given as a string", { reconnectDelay: "5" as unknown as number }, '"5"'],
    ["a fractional attempt limit", { maxReconnectAttempts: 1.5 }, "options.maxReconnectAttempts"],
    ["a zero attempt limit", { maxReconnectAttempts: 0 }, "options.maxReconnectAttempts"],
  ];
  it.each(bad)("refuses %s", (_, options, named) => {
    let err: unknown;
    try {
      new MQTTClient("c", "memory", {
        ...FAST,
        ...options,
        transport: new ScriptedBroker().factory,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(named);
  });
});

describe("an inbox overflow", () => {
  it("rejects the request that waited, with ERR_INBOX_OVERFLOW, instead of retrying silently", async () => {
    const { client, wire } = await connected({ maxQueuedMessages: 1, maxQueuedBytes: 1024 });
    clients.push(client);
    const sub = settle(client.subscribe("t/#", 1)); // no callback, nobody takes messages
    await wire.next("subscribe");
    for (let i = 0; i < 40; i++) wire.publish("t/x", `m${i}`, 1, i + 1);
    await sub.done;
    expect(sub.state).toBe("rejected");
    expect(sub.error).toMatchObject({ code: ErrorCode.INBOX_OVERFLOW });
  });
});

describe("subscriptions kept for renewal", () => {
  it("an unsubscribe() made while the subscribe awaits its SUBACK wins: the filter is not renewed", async () => {
    const { client, broker, wire } = await connected();
    clients.push(client);
    const sub = settle(client.subscribe("f/#", 1));
    const subscribe = await wire.next("subscribe");
    const unsub = settle(client.unsubscribe("f/#"));
    const unsubscribe = await wire.next("unsubscribe");
    wire.suback(subscribe.pid!, 1);
    wire.unsuback(unsubscribe.pid!);
    await sub.done;
    await unsub.done;
    expect([sub.state, unsub.state]).toEqual(["resolved", "resolved"]);
    wire.drop();
    const next = await broker.link(1);
    await next.accept(false); // no session: only remembered subscriptions are renewed
    await client.publish("probe", "x"); // written after any renewal
    expect((await next.next()).type).toBe("publish");
  });
});

describe("the Supervisor's state (pure, injected clock)", () => {
  const make = (now: () => number) =>
    new Supervisor({ youngMs: 1000, maxOffline: 2, offlinePolicy: "reject", now });

  it("reads as one value through a session's life", () => {
    const s = make(() => 0);
    expect(s.state(false)).toBe("idle");
    s.connects++;
    expect(s.state(false)).toBe("connecting");
    s.connects--;
    s.wanted = true;
    expect(s.state(true)).toBe("up");
    expect(s.state(false)).toBe("down");
    s.cancelDelay = () => {};
    expect(s.state(false)).toBe("backoff");
    s.close();
    expect(s.state(false)).toBe("closed");
    expect(s.generation).toBe(1);
    expect(s.shouldLoop(false)).toBe(false);
  });

  it("counts a connection that dies before youngMs as a failed attempt, and resets after one that lived", () => {
    let t = 0;
    const s = make(() => t);
    s.up(true);
    t = 999;
    expect(s.lost()).toBe(true);
    s.up(true);
    t += 500;
    expect(s.lost()).toBe(true);
    expect(s.youngDeaths).toBe(2);
    s.up(true);
    t += 1000;
    expect(s.lost()).toBe(false);
    expect(s.youngDeaths).toBe(0);
    // a loss without a connection in between is no death at all
    expect(s.lost()).toBe(false);
  });

  it("releases the parked publishes and the waiters on up, in order", async () => {
    const s = make(() => 0);
    const order: string[] = [];
    s.offline.add({ qos: 1, resolve: () => order.push("publish"), reject: () => {} });
    const waiting = s.waiters.wait().then(() => order.push("waiter"));
    s.up(false);
    await waiting;
    expect(order).toEqual(["publish", "waiter"]);
    expect(s.sessionPresent).toBe(false);
  });

  it("fail() rejects everything parked", async () => {
    const s = make(() => 0);
    const rejected: string[] = [];
    s.offline.add({ qos: 0, resolve: () => {}, reject: (e) => rejected.push(e.message) });
    const waiting = s.waiters.wait().catch((e: Error) => rejected.push(e.message));
    s.fail(new Error("gone"));
    await waiting;
    expect(rejected).toEqual(["gone", "gone"]);
  });
});
