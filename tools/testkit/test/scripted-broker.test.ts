/**
 * The scripted broker driven through its transport factory by a hand-made "client" that
 * writes raw bytes and records what it receives: no MQTT client package involved.
 */
import { describe, expect, test } from "vitest";
import { concat, fromHex, hex } from "../src/bytes.ts";
import { settle, TimeoutError } from "../src/deferred.ts";
import { frameOf } from "../src/frames.ts";
import type { Transport } from "../src/memory-transport.ts";
import { ScriptedBroker, UnexpectedPacketError } from "../src/scripted-broker.ts";
import { turns } from "../src/turns.ts";

const CONNECT = "10 0f 00 04 4d 51 54 54 04 02 00 00 00 03 63 69 64";

/** Opens one connection on `broker`; `received()` is the hex of everything sent to it. */
async function dial(broker: ScriptedBroker) {
  const chunks: Uint8Array[] = [];
  const closes: (Error | undefined)[] = [];
  const transport: Transport = await broker.factory(
    { data: (c) => chunks.push(c), drain: () => {}, closed: (cause) => closes.push(cause) },
    new AbortController().signal,
  );
  const write = (h: string) => transport.write(fromHex(h));
  return { transport, write, closes, received: () => hex(concat(chunks)) };
}

describe("reading what the client writes", () => {
  test("next() waits for the packet by event, from writes split anywhere", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    const next = settle(link.next("connect"));
    const bytes = fromHex(CONNECT);
    c.transport.write(bytes.subarray(0, 5));
    await turns();
    expect(next.state).toBe("pending");
    c.transport.write(bytes.subarray(5));
    await next.done;
    expect(next.value).toMatchObject({ type: "connect", clientId: "cid", cleanSession: true });
    expect(link.bytesWritten).toBe(17);
    expect(hex(link.bytes(0, 2))).toBe("10 0f");
  });

  test("next(type) fails on a packet of another type; nextOf(type) passes over it", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    c.write("c0 00 40 02 00 05 c0 00");
    const err = await link.next("puback").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedPacketError);
    expect((err as UnexpectedPacketError).packet.type).toBe("pingreq");
    expect(await link.nextOf("pingreq")).toEqual({ type: "pingreq" });
    expect(link.unread).toEqual([]);
    expect(link.all("puback")).toEqual([{ type: "puback", pid: 5 }]);
    expect(frameOf(link.packets[1]!).first).toBe(0x40);
  });

  test("a wait that timed out does not take a later packet", async () => {
    const broker = new ScriptedBroker({ timeoutMs: 20 });
    const c = await dial(broker);
    const link = await broker.link(0);
    await expect(link.next("pingreq")).rejects.toBeInstanceOf(TimeoutError);
    c.write("c0 00");
    await turns();
    expect(link.unread).toEqual([{ type: "pingreq" }]);
    expect(link.takeAll()).toEqual([{ type: "pingreq" }]);
    expect(link.unread).toEqual([]);
  });

  test("bytes that are not MQTT reject the waits with the FrameError", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    const waiting = link.next();
    c.write("30 ff ff ff ff 7f");
    await expect(waiting).rejects.toMatchObject({ code: "EFRAME" });
    expect(link.error).toBeDefined();
  });
});

describe("answering", () => {
  test("accept(), publish() with flags, acks and SUBACK codes reach the client as built", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    c.write(CONNECT);
    const connect = await link.accept(true);
    expect(connect.keepalive).toBe(0);
    link.publish("t", "m", 1, 7, { retain: true, dup: true });
    link.puback(1);
    link.pubrec(2);
    link.pubrel(3);
    link.pubcomp(4);
    link.suback(5, 1, 0x80);
    link.unsuback(6);
    link.pingresp();
    link.send(Uint8Array.of(0xff));
    await turns();
    expect(c.received()).toBe(
      "20 02 01 00 3b 06 00 01 74 00 07 6d 40 02 00 01 50 02 00 02 62 02 00 03 70 02 00 04 90 04 00 05 01 80 b0 02 00 06 d0 00 ff",
    );
  });

  test("autoAnswer acts as a broker; a withheld kind of answer is not sent", async () => {
    const broker = new ScriptedBroker({ autoAnswer: true });
    const c = await dial(broker);
    const link = await broker.link(0);
    c.write(CONNECT);
    c.write("32 06 00 01 74 00 01 6d"); // PUBLISH QoS 1 pid 1
    c.write("34 06 00 01 74 00 02 6d"); // PUBLISH QoS 2 pid 2
    c.write("62 02 00 02"); // PUBREL 2
    c.write("50 02 00 09"); // PUBREC 9 (for a broker's QoS 2 message)
    c.write("82 0c 00 03 00 01 61 00 00 03 62 2f 2b 01"); // SUBSCRIBE a 0, b/+ 1
    c.write("a2 05 00 04 00 01 61"); // UNSUBSCRIBE a
    c.write("c0 00");
    await link.nextOf("pingreq");
    await turns();
    expect(c.received()).toBe(
      "20 02 00 00 40 02 00 01 50 02 00 02 70 02 00 02 62 02 00 09 90 04 00 03 00 01 b0 02 00 04 d0 00",
    );
    link.withhold("puback");
    link.withhold("pingresp");
    const before = c.received();
    c.write("32 06 00 01 74 00 05 6d c0 00");
    await link.nextOf("pingreq");
    await turns();
    expect(c.received()).toBe(before);
    link.withhold("puback", false);
    c.write("32 06 00 01 74 00 06 6d");
    await link.nextOf("publish");
    await turns();
    expect(c.received()).toBe(`${before} 40 02 00 06`);
  });
});

describe("faults", () => {
  test("stall() holds what the broker sends until unstall(), in order", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    link.stall();
    link.connack();
    link.pingresp();
    await turns();
    expect(c.received()).toBe("");
    link.unstall();
    await turns();
    expect(c.received()).toBe("20 02 00 00 d0 00");
  });

  test("drop() closes the client's transport with the cause; block() makes its writes report full", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    link.block();
    expect(c.write("c0 00")).toBe(false);
    link.unblock();
    expect(c.write("c0 00")).toBe(true);
    const cause = new Error("reset");
    link.drop(cause);
    await turns();
    expect(c.closes).toEqual([cause]);
    expect(link.closed).toBe(true);
  });

  test("down refuses new connections and counts the attempt; hold delays the open", async () => {
    const broker = new ScriptedBroker();
    broker.down = true;
    await expect(dial(broker)).rejects.toThrow(/ECONNREFUSED/);
    expect(broker.attempts).toBe(1);
    expect(broker.links).toHaveLength(0);
    broker.down = false;
    let open = (): void => {};
    broker.hold = new Promise<void>((resolve) => {
      open = resolve;
    });
    const next = broker.nextLink();
    const dialing = settle(dial(broker));
    await turns();
    expect(dialing.state).toBe("pending");
    open();
    const link = await next;
    await dialing.done;
    expect(link.index).toBe(0);
    expect(broker.last).toBe(link);
    expect(broker.attempts).toBe(2);
  });

  test("link(i) waits for the i-th connection, with a safety-net timeout", async () => {
    const broker = new ScriptedBroker({ timeoutMs: 20 });
    await expect(broker.link(0)).rejects.toBeInstanceOf(TimeoutError);
    const second = broker.link(1, 2000);
    await dial(broker);
    await dial(broker);
    expect((await second).index).toBe(1);
  });
});

describe("protocol level", () => {
  test("a level 5 CONNECT switches the link's builders to MQTT 5 layouts", async () => {
    const broker = new ScriptedBroker();
    const c = await dial(broker);
    const link = await broker.link(0);
    c.write("10 0e 00 04 4d 51 54 54 05 02 00 00 00 00 01 63");
    await link.accept();
    link.suback(1, 0);
    await turns();
    expect(link.level).toBe(5);
    expect(c.received()).toBe("20 03 00 00 00 90 04 00 01 00 00");
  });
});
