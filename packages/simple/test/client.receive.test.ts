import { deferred, text, turns, type WirePacket } from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import type { MessageInfo } from "../src/client.js";
import { ConnectionError, ErrorCode } from "../src/errors.js";
import { connected } from "./session.js";

describe("pull delivery", () => {
  test("messages wait in the inbox until waitMsg() dispatches them, one per call, in order", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    client.setCallback((topic, msg) => {
      seen.push(`${text(topic)}:${text(msg)}`);
    });
    for (const m of ["1", "2", "3"]) link.publish("t", m);
    await turns();
    expect(seen).toEqual([]);
    await client.waitMsg();
    expect(seen).toEqual(["t:1"]);
    await client.waitMsg();
    await client.waitMsg();
    expect(seen).toEqual(["t:1", "t:2", "t:3"]);
  });

  test("waitMsg() waits for a message that has not arrived yet", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
    });
    const waiting = client.waitMsg();
    await turns();
    expect(seen).toEqual([]);
    link.publish("t", "late");
    await expect(waiting).resolves.toBe(0x30);
    expect(seen).toEqual(["late"]);
  });

  test("the callback gets topic and payload as views into the received bytes, and the flags", async () => {
    const { client, link } = await connected();
    const calls: [Uint8Array, Uint8Array, MessageInfo][] = [];
    client.setCallback((topic, msg, info) => {
      calls.push([topic, msg, info]);
    });
    link.publish("a/b", "payload", 1, 3, { retain: true });
    await client.waitMsg();
    const [topic, msg, info] = calls[0]!;
    expect(topic).toBeInstanceOf(Uint8Array);
    expect(text(topic)).toBe("a/b");
    expect(text(msg)).toBe("payload");
    expect(msg.buffer).toBe(topic.buffer);
    expect(info).toEqual({ qos: 1, retain: true, dup: false });
  });

  test.each([
    ["QoS 0", { qos: 0, retain: false, dup: false }, 0x30],
    ["retained QoS 0", { qos: 0, retain: true, dup: false }, 0x31],
    ["QoS 1", { qos: 1, retain: false, dup: false }, 0x32],
    ["retained QoS 1", { qos: 1, retain: true, dup: false }, 0x33],
    ["re-delivered QoS 1", { qos: 1, retain: false, dup: true }, 0x3a],
  ] as const)(
    "waitMsg() resolves to the first header byte: %s → %i",
    async (_name, flags, first) => {
      const { client, link } = await connected();
      client.setCallback(() => {});
      link.publish("t", "m", flags.qos, 1, { retain: flags.retain, dup: flags.dup });
      await expect(client.waitMsg()).resolves.toBe(first);
    },
  );
});

describe("checkMsg()", () => {
  test("resolves null when nothing has arrived", async () => {
    const { client } = await connected();
    const seen: unknown[] = [];
    client.setCallback((t) => {
      seen.push(t);
    });
    await expect(client.checkMsg()).resolves.toBeNull();
    expect(seen).toEqual([]);
  });

  test("dispatches a waiting message and resolves to its first byte", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
    });
    link.publish("t", "x", 1, 4, { retain: true });
    await turns();
    await expect(client.checkMsg()).resolves.toBe(0x33);
    expect(seen).toEqual(["x"]);
    expect((await link.next("puback")).pid).toBe(4);
    await expect(client.checkMsg()).resolves.toBeNull();
  });

  test.each([
    ["setImmediate", (fn: () => void) => setImmediate(fn)],
    ["setTimeout(0)", (fn: () => void) => setTimeout(fn, 0)],
  ])("while (true) await checkMsg() does not starve %s", async (_name, schedule) => {
    const { client } = await connected();
    client.setCallback(() => {});
    let ran = false;
    schedule(() => {
      ran = true;
    });
    // A starving loop (one that only awaits microtasks) would spin until the deadline.
    const deadline = performance.now() + 200;
    let loops = 0;
    while (!ran && performance.now() < deadline) {
      await expect(client.checkMsg()).resolves.toBeNull();
      loops++;
    }
    expect(ran).toBe(true);
    expect(loops).toBeGreaterThan(0);
  });

  test("a message arriving while checkMsg() loops is dispatched by the loop", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
    });
    setTimeout(() => link.publish("t", "tick"), 0);
    let result: number | null = null;
    const deadline = performance.now() + 200;
    while (result === null && performance.now() < deadline) result = await client.checkMsg();
    expect(result).toBe(0x30);
    expect(seen).toEqual(["tick"]);
  });
});

describe("callbacks and acknowledgement", () => {
  test("a callback's promise is awaited before the QoS 1 PUBACK", async () => {
    const { client, link } = await connected();
    const gate = deferred();
    client.setCallback(() => gate.promise);
    link.publish("t", "m", 1, 11);
    let resolved = false;
    const waiting = client.waitMsg().then((first) => {
      resolved = true;
      return first;
    });
    await turns(5);
    expect(link.packets.some((p) => p.type === "puback")).toBe(false);
    expect(resolved).toBe(false);
    gate.resolve();
    await expect(waiting).resolves.toBe(0x32);
    expect((await link.next("puback")).pid).toBe(11);
  });

  test("a throwing callback rejects waitMsg() with its error; that message is not acknowledged; the client works on", async () => {
    const { client, link } = await connected();
    const boom = new Error("boom");
    let calls = 0;
    client.setCallback(() => {
      calls++;
      if (calls === 1) throw boom;
    });
    link.publish("t", "bad", 1, 1);
    await expect(client.waitMsg()).rejects.toBe(boom);
    link.publish("t", "good", 1, 2);
    await expect(client.waitMsg()).resolves.toBe(0x32);
    expect(calls).toBe(2);
    const acks: WirePacket[] = [await link.next("puback")];
    await turns();
    acks.push(...link.takeAll());
    expect(acks).toEqual([{ type: "puback", pid: 2 }]);
    expect(client.isConnected()).toBe(true);
    const publishing = client.publish("t", "after", false, 1);
    link.puback((await link.next("publish")).pid!);
    await publishing;
  });

  test("a rejecting async callback rejects checkMsg() with its error", async () => {
    const { client, link } = await connected();
    const boom = new Error("async boom");
    client.setCallback(async () => {
      throw boom;
    });
    link.publish("t", "m", 1, 5);
    await turns();
    await expect(client.checkMsg()).rejects.toBe(boom);
    await turns();
    expect(link.takeAll()).toEqual([]);
  });

  test("PUBACKs go out in the order the messages arrived [MQTT-4.6.0-2]", async () => {
    const { client, link } = await connected();
    client.setCallback(() => {});
    for (const pid of [9, 3, 7]) link.publish("t", "m", 1, pid);
    for (let i = 0; i < 3; i++) await client.waitMsg();
    const acks = [];
    for (let i = 0; i < 3; i++) acks.push((await link.next("puback")).pid);
    expect(acks).toEqual([9, 3, 7]);
  });

  test("a callback may publish QoS 1 and await it, without deadlock", async () => {
    const { client, link } = await connected();
    client.setCallback(async (_t, msg) => {
      await client.publish("reply", msg, false, 1);
    });
    link.publish("req", "ping", 1, 21);
    const waiting = client.waitMsg();
    const reply = await link.next("publish");
    expect(text(reply.payload)).toBe("ping");
    link.puback(reply.pid!);
    await expect(waiting).resolves.toBe(0x32);
    expect((await link.next("puback")).pid).toBe(21);
  });

  test("a callback may publish QoS 1 while the inbox is full", async () => {
    const { client, link, conn } = await connected({ maxQueuedMessages: 1 });
    client.setCallback(async (_t, msg) => {
      await client.publish("reply", msg, false, 1);
    });
    for (const m of ["a", "b", "c"]) link.publish("req", m, 1, 100 + m.charCodeAt(0));
    await turns();
    expect(conn.paused).toBe(true);
    const answered: string[] = [];
    const broker = (async () => {
      for (let i = 0; i < 3; i++) {
        const p = await link.next("publish");
        answered.push(text(p.payload));
        link.puback(p.pid!);
        await link.next("puback");
      }
    })();
    for (let i = 0; i < 3; i++) await client.waitMsg();
    await broker;
    expect(answered).toEqual(["a", "b", "c"]);
  });
});

describe("calls queued behind a dispatch", () => {
  test("calls waiting behind a callback that never returns reject with ERR_CLIENT_CLOSED on disconnect(), and later calls do not queue", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
      return new Promise<void>(() => {}); // never settles
    });
    link.publish("t", "1");
    void client.waitMsg(); // holds the dispatch lock for good
    await turns();
    expect(seen).toEqual(["1"]);
    const queued = [client.waitMsg(), client.checkMsg()].map((p) => p.catch((e: unknown) => e));
    const next = client.messages().next();
    await client.disconnect();
    for (const outcome of await Promise.all(queued)) {
      expect(outcome).toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    }
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    // made after disconnect(): settle at once instead of queuing behind the callback
    await expect(client.waitMsg()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    await expect(client.checkMsg()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    await expect(client.messages().next()).resolves.toEqual({ done: true, value: undefined });
    expect(seen).toEqual(["1"]);
  });

  test("a drop rejects the calls waiting behind a dispatch with its error; dispatch stays one at a time, in order", async () => {
    const { client, link, conn } = await connected();
    const seen: string[] = [];
    const release: (() => void)[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
      return new Promise<void>((resolve) => release.push(resolve));
    });
    link.publish("t", "1");
    link.publish("t", "2");
    const first = client.waitMsg();
    await turns();
    const waiting = client.waitMsg();
    conn.close();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    // not closed by disconnect(): a new call waits its turn and gets the message received before the drop
    const third = client.waitMsg();
    await turns();
    expect(seen).toEqual(["1"]);
    release[0]!();
    await expect(first).resolves.toBe(0x30);
    await turns();
    expect(seen).toEqual(["1", "2"]);
    release[1]!();
    await expect(third).resolves.toBe(0x30);
  });
});

describe("flow control", () => {
  test("a full inbox pauses the transport; taking messages resumes it; nothing is lost or reordered", async () => {
    const { client, link, conn } = await connected({ maxQueuedMessages: 3 });
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
    });
    for (let i = 0; i < 6; i++) link.publish("t", String(i));
    await turns();
    expect(conn.paused).toBe(true);
    await client.checkMsg();
    await turns();
    // one taken, one more read, full again
    expect(conn.paused).toBe(true);
    for (let i = 0; i < 5; i++) await client.waitMsg();
    await turns();
    expect(conn.paused).toBe(false);
    expect(seen).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  test("maxQueuedBytes pauses the transport too", async () => {
    const { client, link, conn } = await connected({ maxQueuedBytes: 1024 });
    client.setCallback(() => {});
    link.publish("t", new Uint8Array(2000));
    link.publish("t", "next");
    await turns();
    expect(conn.paused).toBe(true);
    await client.waitMsg();
    await turns();
    expect(conn.paused).toBe(false);
  });

  test("acks are processed while messages sit unconsumed", async () => {
    const { client, link } = await connected({ maxQueuedMessages: 10 });
    client.setCallback(() => {});
    for (let i = 0; i < 5; i++) link.publish("t", String(i));
    const publishing = client.publish("t", "m", false, 1);
    const subscribing = client.subscribe("s", 1);
    link.puback((await link.next("publish")).pid!);
    link.suback((await link.next("subscribe")).pid, 1);
    await publishing;
    await expect(subscribing).resolves.toBe(1);
    // nothing was dispatched meanwhile
    let dispatched = 0;
    client.setCallback(() => {
      dispatched++;
    });
    while ((await client.checkMsg()) !== null);
    expect(dispatched).toBe(5);
  });

  test("inbox full while awaiting a PUBACK: queued messages go to the callback so the ack gets read", async () => {
    const { client, link, conn } = await connected({ maxQueuedMessages: 2 });
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
    });
    link.publish("t", "a", 1, 1);
    link.publish("t", "b", 1, 2);
    link.publish("t", "c", 1, 3);
    await turns();
    expect(conn.paused).toBe(true);
    const publishing = client.publish("out", "x", false, 1);
    const packet = await link.next("publish");
    link.puback(packet.pid!);
    await publishing;
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen).toEqual(["a", "b", "c"].slice(0, seen.length));
    // messages dispatched this way are acknowledged
    const acked: number[] = [];
    await turns();
    for (const p of link.takeAll()) if (p.type === "puback") acked.push(p.pid);
    expect(acked).toEqual([1, 2, 3].slice(0, seen.length));
  });

  test("a callback error thrown while dispatching for an awaited ack surfaces from the next waitMsg()", async () => {
    const { client, link } = await connected({ maxQueuedMessages: 1 });
    const boom = new Error("boom");
    const seen: string[] = [];
    client.setCallback((_t, msg) => {
      seen.push(text(msg));
      if (seen.length === 1) throw boom;
    });
    link.publish("t", "a", 1, 1);
    link.publish("t", "b", 1, 2);
    await turns();
    const publishing = client.publish("out", "x", false, 1);
    link.puback((await link.next("publish")).pid!);
    await publishing;
    expect(seen[0]).toBe("a");
    await expect(client.waitMsg()).rejects.toBe(boom);
    // the message whose callback threw was not acknowledged
    await turns();
    expect(link.takeAll().filter((p) => p.type === "puback" && p.pid === 1)).toEqual([]);
    expect(client.isConnected()).toBe(true);
  });

  test("without a callback, the inbox grows past the soft limit up to the hard cap while a PUBACK is awaited", async () => {
    const { client, link, conn } = await connected({ maxQueuedMessages: 2 });
    const publishing = client.publish("out", "x", false, 1);
    const packet = await link.next("publish");
    // 32 = 16 × 2: exactly the hard cap, still fine
    for (let i = 0; i < 32; i++) link.publish("t", String(i));
    link.puback(packet.pid!);
    await publishing;
    await turns();
    // nothing awaited any more: the full inbox pauses the reader again
    expect(conn.paused).toBe(true);
    const it = client.messages();
    const got: string[] = [];
    for (let i = 0; i < 32; i++) got.push(text((await it.next()).value!.payload));
    expect(got).toEqual(Array.from({ length: 32 }, (_, i) => String(i)));
  });

  test("without a callback, past the hard cap (16× the soft limit) the connection closes with ERR_INBOX_OVERFLOW", async () => {
    const { client, link, conn } = await connected({ maxQueuedMessages: 2 });
    const publishing = client.publish("out", "x", false, 1);
    await link.next("publish");
    for (let i = 0; i < 33; i++) link.publish("t", String(i));
    const err = await publishing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.INBOX_OVERFLOW);
    expect(conn.closed).toBe(true);
    expect(client.isConnected()).toBe(false);
  });
});

describe("messages() iterator", () => {
  test("a consumer awaiting its own QoS 1 publish: past the hard cap the loop ends with ERR_INBOX_OVERFLOW", async () => {
    const { client, link } = await connected({ maxQueuedMessages: 1 });
    link.publish("cmd", "go");
    const loop = (async () => {
      for await (const message of client.messages()) {
        await client.publish("echo", message.payload, false, 1);
      }
    })();
    await link.next("publish");
    for (let i = 0; i < 17; i++) link.publish("t", String(i));
    const err = await loop.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.INBOX_OVERFLOW);
  });

  test("yields topic, payload, qos, retain and dup as Uint8Array views", async () => {
    const { client, link } = await connected();
    link.publish("a/b", "hello", 1, 8, { retain: true });
    const it = client.messages();
    const { value, done } = await it.next();
    expect(done).toBe(false);
    expect(value!.topic).toBeInstanceOf(Uint8Array);
    expect(value!.payload).toBeInstanceOf(Uint8Array);
    expect(value!.payload.buffer).toBe(value!.topic.buffer);
    expect({
      topic: text(value!.topic),
      payload: text(value!.payload),
      qos: value!.qos,
      retain: value!.retain,
      dup: value!.dup,
    }).toEqual({
      topic: "a/b",
      payload: "hello",
      qos: 1,
      retain: true,
      dup: false,
    });
    await it.return!();
  });

  test("acknowledges a QoS 1 message when the next one is asked for", async () => {
    const { client, link } = await connected();
    link.publish("t", "1", 1, 1);
    link.publish("t", "2", 1, 2);
    const it = client.messages();
    await it.next();
    await turns();
    expect(link.takeAll()).toEqual([]);
    await it.next();
    expect(await link.next("puback")).toEqual({ type: "puback", pid: 1 });
    await turns();
    expect(link.takeAll()).toEqual([]);
    await it.return!();
    expect(await link.next("puback")).toEqual({ type: "puback", pid: 2 });
  });

  test("breaking out of for await acknowledges the message taken", async () => {
    const { client, link } = await connected();
    link.publish("t", "1", 1, 42);
    for await (const message of client.messages()) {
      expect(text(message.payload)).toBe("1");
      break;
    }
    expect(await link.next("puback")).toEqual({ type: "puback", pid: 42 });
  });

  test("ends (done) after disconnect()", async () => {
    const { client, link } = await connected();
    link.publish("t", "1");
    const got: string[] = [];
    const loop = (async () => {
      for await (const message of client.messages()) {
        got.push(text(message.payload));
      }
      return "ended";
    })();
    await turns();
    expect(got).toEqual(["1"]);
    await client.disconnect();
    await expect(loop).resolves.toBe("ended");
    const it = client.messages();
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
  });

  test("throws ERR_CONNECTION_CLOSED when the peer drops the link", async () => {
    const { client, conn } = await connected();
    const it = client.messages();
    const next = it.next();
    conn.close();
    await expect(next).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});
