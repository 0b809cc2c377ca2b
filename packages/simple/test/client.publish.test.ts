import { hex, ScriptedBroker, text, turns } from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import { MQTTClient } from "../src/client.js";
import { ConnectionError, ErrorCode } from "../src/errors.js";
import { connected } from "./session.js";

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): { readonly done: boolean; promise: Promise<T> } {
  const state = { done: false, promise };
  promise.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

describe("packet ids through the client", () => {
  test("are shared by publish, subscribe and unsubscribe; QoS 0 takes none", async () => {
    const { client, link } = await connected();
    const pub = client.publish("t", "1", false, 1);
    expect((await link.next("publish")).pid).toBe(1);
    void client.publish("t", "0");
    expect((await link.next("publish")).pid).toBeUndefined();
    const sub = client.subscribe("t", 1);
    expect((await link.next("subscribe")).pid).toBe(2);
    const unsub = client.unsubscribe("t");
    expect((await link.next("unsubscribe")).pid).toBe(3);
    const pub2 = client.publish("t", "2", false, 1);
    expect((await link.next("publish")).pid).toBe(4);
    link.puback(4);
    link.unsuback(3);
    link.suback(2, 0);
    link.puback(1);
    await Promise.all([pub, sub, unsub, pub2]);
  });

  test("an ack with an unknown or mismatched id resolves nothing", async () => {
    const { client, link } = await connected();
    const pub = track(client.publish("t", "m", false, 1));
    await link.next("publish");
    link.puback(2);
    link.unsuback(1); // right id, wrong kind
    await turns();
    expect(pub.done).toBe(false);
    link.puback(1);
    await pub.promise;
  });

  test("wrap after 65535 to 1, never 0, and skip an id still in use", async () => {
    const { client, link } = await connected({ maxInflight: 4096 });
    // pid 1 stays in use: a subscribe the broker never answers
    void client.subscribe("held", 0).catch(() => {});
    expect((await link.next("subscribe")).pid).toBe(1);
    const seen: number[] = [];
    const total = 65535 + 2; // 2…65535, then the wrap
    for (let sent = 0; sent < total; ) {
      const batch: Promise<void>[] = [];
      const n = Math.min(4096, total - sent);
      for (let i = 0; i < n; i++) batch.push(client.publish("t", "", false, 1));
      for (let i = 0; i < n; i++) {
        const packet = await link.next("publish");
        seen.push(packet.pid!);
        link.puback(packet.pid!);
      }
      await Promise.all(batch);
      sent += n;
    }
    expect(seen.slice(0, 3)).toEqual([2, 3, 4]);
    expect(seen[65533]).toBe(65535);
    // after 65535: 1 is still held by the subscribe, so the counter goes on at 2, then 3
    expect(seen.slice(65534)).toEqual([2, 3, 4]);
    expect(seen.includes(0)).toBe(false);
  }, 20_000);
});

describe("the maxInflight window", () => {
  test("a third QoS 1 publish waits for a PUBACK when maxInflight is 2", async () => {
    const { client, link } = await connected({ maxInflight: 2 });
    const p1 = client.publish("t", "1", false, 1);
    const p2 = client.publish("t", "2", false, 1);
    const p3 = track(client.publish("t", "3", false, 1));
    const a = await link.next("publish");
    const b = await link.next("publish");
    await turns();
    expect(link.unread).toEqual([]);
    link.puback(b.pid!);
    const c = await link.next("publish");
    expect(text(c.payload)).toBe("3");
    expect(c.pid).not.toBe(a.pid);
    expect(p3.done).toBe(false);
    link.puback(a.pid!);
    link.puback(c.pid!);
    await Promise.all([p1, p2, p3.promise]);
  });

  test("publishes waiting for a slot go out in call order", async () => {
    const { client, link } = await connected({ maxInflight: 1 });
    const all = ["a", "b", "c", "d", "e"].map((m) => client.publish("t", m, false, 1));
    const order: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const packet = await link.next("publish");
      order.push(text(packet.payload));
      await turns();
      expect(link.unread).toEqual([]);
      link.puback(packet.pid!);
    }
    await Promise.all(all);
    expect(order).toEqual(["a", "b", "c", "d", "e"]);
  });

  test("QoS 0 publishes do not wait for the window", async () => {
    const { client, link } = await connected({ maxInflight: 1 });
    void client.publish("t", "q1", false, 1);
    await link.next("publish");
    await client.publish("t", "q0");
    expect(text((await link.next("publish")).payload)).toBe("q0");
  });

  test("500 concurrent QoS 1 publishes all resolve, with distinct ids among those in flight", async () => {
    const maxInflight = 32;
    const { client, link } = await connected({ maxInflight });
    const all = Array.from({ length: 500 }, (_, i) => client.publish("t", String(i), false, 1));
    const outstanding = new Set<number>();
    const payloads: string[] = [];
    let acked = 0;
    let maxOutstanding = 0;
    while (acked < 500) {
      // take whatever is in flight, then ack it newest first
      const first = await link.next("publish");
      await turns(1);
      const batch = [first, ...link.takeAll()];
      for (const p of batch) {
        expect(p.type).toBe("publish");
        if (p.type !== "publish") continue;
        expect(outstanding.has(p.pid!)).toBe(false);
        expect(p.pid).toBeGreaterThan(0);
        outstanding.add(p.pid!);
        payloads.push(text(p.payload));
      }
      maxOutstanding = Math.max(maxOutstanding, outstanding.size);
      for (const p of batch.reverse()) {
        if (p.type !== "publish") continue;
        outstanding.delete(p.pid!);
        link.puback(p.pid!);
        acked++;
      }
    }
    await Promise.all(all);
    expect(maxOutstanding).toBeLessThanOrEqual(maxInflight);
    expect(payloads).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });
});

describe("write backpressure", () => {
  test("QoS 0 publishes stay pending while the transport is full and go out in call order on drain", async () => {
    const { client, link, conn } = await connected();
    conn.block();
    await client.publish("t", "first");
    await link.next("publish"); // written; the transport now reports "full"
    const waiting = ["a", "b", "c"].map((m) => track(client.publish("t", m)));
    await turns();
    expect(waiting.map((w) => w.done)).toEqual([false, false, false]);
    expect(link.unread).toEqual([]);
    conn.unblock();
    await Promise.all(waiting.map((w) => w.promise));
    const order = [];
    for (let i = 0; i < 3; i++) order.push(text((await link.next("publish")).payload));
    expect(order).toEqual(["a", "b", "c"]);
  });

  test("acks overtake the publish backlog", async () => {
    const { client, link, conn } = await connected();
    client.setCallback(() => {});
    conn.block();
    await client.publish("t", "first");
    await link.next("publish");
    void client.publish("t", "queued");
    link.publish("in", "m", 1, 9);
    await client.waitMsg();
    const puback = await link.next("puback");
    expect(puback.pid).toBe(9);
    conn.unblock();
    expect(text((await link.next("publish")).payload)).toBe("queued");
  });

  test("a QoS 0 publish waiting for drain rejects when the connection closes", async () => {
    const { client, link, conn } = await connected();
    conn.block();
    await client.publish("t", "first");
    await link.next("publish");
    const waiting = client.publish("t", "stuck");
    conn.close();
    await expect(waiting).rejects.toBeInstanceOf(ConnectionError);
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});

describe("publishing without a connection", () => {
  test("rejects with ERR_NOT_CONNECTED and opens nothing", async () => {
    const broker = new ScriptedBroker();
    const client = new MQTTClient("cid", "h", { transport: broker.factory });
    for (const qos of [0, 1] as const) {
      const err = await client.publish("t", "m", false, qos).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).code).toBe(ErrorCode.NOT_CONNECTED);
    }
    await expect(client.subscribe("t")).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED });
    await expect(client.unsubscribe("t")).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED });
    await expect(client.ping()).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED });
    expect(broker.links).toHaveLength(0);
  });

  test("a retained QoS 1 publish sets both flag bits (33)", async () => {
    const { client, link } = await connected();
    const mark = link.bytesWritten;
    void client.publish("t", "m", true, 1);
    await link.next("publish");
    expect(hex(link.bytes(mark, mark + 1))).toBe("33");
  });
});
