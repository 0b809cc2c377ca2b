import { Decoder } from "@umqtt/codec";
import {
  fromHex,
  hex,
  type MemoryConnection,
  pingresp,
  puback,
  publish as publishFrame,
  ScriptedBroker,
  suback,
  turns,
  unsuback,
} from "@umqtt/testkit";
import { afterEach, describe, expect, test, vi } from "vitest";
import { MQTTClient } from "../src/client.js";
import { ConnectionError, ErrorCode, MQTTException, MqttClientError } from "../src/errors.js";
import { connected, opening, type Session } from "./session.js";

/** Starts one of each kind of pending work; returns their (caught) outcomes. */
async function pendingWork(session: Session, withPing = true) {
  const { client, link } = session;
  client.setCallback(() => {});
  const work: Record<string, Promise<unknown>> = {
    publish: client.publish("t", "m", false, 1),
    subscribe: client.subscribe("s", 1),
    unsubscribe: client.unsubscribe("s"),
    waitMsg: client.waitMsg(),
  };
  if (withPing) work.ping = client.ping();
  await link.next("publish");
  await link.next("subscribe");
  await link.next("unsubscribe");
  if (withPing) await link.next("pingreq");
  const outcomes = Object.fromEntries(
    Object.entries(work).map(([name, promise]) => [
      name,
      promise.then(
        () => "resolved",
        (err: unknown) => err,
      ),
    ]),
  );
  return async () => {
    const settled: Record<string, unknown> = {};
    for (const [name, outcome] of Object.entries(outcomes)) settled[name] = await outcome;
    return settled;
  };
}

/** Messages waiting in the client's inbox: those it has read, when the test took none. */
const inboxLength = (conn: MemoryConnection): number => {
  const decoder = new Decoder();
  return conn.delivered.flatMap((chunk) => decoder.push(chunk)).filter((p) => p.type === "publish")
    .length;
};

function expectAll(
  settled: Record<string, unknown>,
  cls: typeof MqttClientError,
  code: string,
): void {
  for (const [name, outcome] of Object.entries(settled)) {
    expect(outcome, name).toBeInstanceOf(cls);
    expect((outcome as MqttClientError).code, name).toBe(code);
  }
}

describe("connect()", () => {
  test("isConnected() is true only between an accepted CONNACK and the close", async () => {
    const session = await opening();
    expect(session.client.isConnected()).toBe(false);
    await session.link.next("connect");
    await turns();
    expect(session.client.isConnected()).toBe(false);
    session.link.connack();
    await expect(session.connected).resolves.toBe(false);
    expect(session.client.isConnected()).toBe(true);
    session.conn.close();
    await turns(1);
    expect(session.client.isConnected()).toBe(false);
  });

  test.each([1, 2, 3, 4, 5])(
    "CONNACK return code %i rejects with MQTTException of that code",
    async (rc) => {
      const session = await opening();
      await session.link.next("connect");
      session.link.connack(false, rc);
      const err = await session.connected.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MQTTException);
      expect((err as MQTTException).code).toBe(rc);
      expect(session.client.isConnected()).toBe(false);
      await turns(1);
      expect(session.conn.closed).toBe(true);
    },
  );

  test("a second connect() closes the first connection and its pending work rejects", async () => {
    const first = await connected();
    const publishing = first.client.publish("t", "m", false, 1);
    await first.link.next("publish");
    const next = first.broker.nextLink();
    const reconnecting = first.client.connect();
    const link2 = await next;
    await expect(publishing).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    expect(first.conn.closed).toBe(true);
    await link2.next("connect");
    link2.connack(true);
    await expect(reconnecting).resolves.toBe(true);
    expect(first.client.isConnected()).toBe(true);
    expect(first.broker.links).toHaveLength(2);
    // the new connection works
    const p = first.client.publish("t", "again", false, 1);
    link2.puback((await link2.next("publish")).pid!);
    await p;
  });

  test("a transport that opens after a newer connect() took over is closed unheard: the newer connection and its work go on", async () => {
    const broker = new ScriptedBroker();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let dials = 0;
    const client = new MQTTClient("cid", "h", {
      keepalive: 0,
      transport: async (events, signal) => {
        if (dials++ === 0) await gate;
        return broker.factory(events, signal);
      },
    });
    const first = client.connect().catch((err: unknown) => err);
    await turns();
    const next = broker.nextLink();
    const second = client.connect();
    const link2 = await next;
    await link2.next("connect");
    link2.connack();
    await second;
    const publishing = client.publish("t", "m", false, 1);
    const pid = (await link2.next("publish")).pid!;
    const late = broker.nextLink();
    open();
    const link1 = await late;
    expect(await first).toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    await turns();
    expect(link1.conn.closed).toBe(true);
    expect(link1.packets).toEqual([]);
    expect(client.isConnected()).toBe(true);
    link2.puback(pid);
    await expect(publishing).resolves.toBeUndefined();
  });

  test("connect() after the peer closed opens a new connection", async () => {
    const session = await connected();
    session.conn.close();
    await turns(1);
    const next = session.broker.nextLink();
    const reconnecting = session.client.connect();
    const link2 = await next;
    await link2.next("connect");
    link2.connack();
    await reconnecting;
    expect(session.client.isConnected()).toBe(true);
  });

  test("a transport that cannot open rejects with ERR_CONNECTION_CLOSED", async () => {
    const broker = new ScriptedBroker();
    broker.refuse = new Error("ECONNREFUSED");
    const client = new MQTTClient("cid", "h", { transport: broker.factory });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.CONNECTION_CLOSED);
  });

  test("the peer closing before CONNACK rejects connect() with ERR_CONNECTION_CLOSED", async () => {
    const session = await opening();
    await session.link.next("connect");
    session.conn.close();
    await expect(session.connected).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});

describe("connect timeout", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("no CONNACK within connect(_, timeout) rejects with ERR_CONNECT_TIMEOUT and closes the link", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const session = await opening();
    // opening() used connect() without timeout; connect again with one (which replaces it)
    session.connected.catch(() => {});
    const next = session.broker.nextLink();
    const connecting = session.client.connect(true, 1000);
    const link = await next;
    const conn = link.conn;
    await link.next("connect");
    vi.advanceTimersByTime(999);
    await turns();
    expect(conn.closed).toBe(false);
    vi.advanceTimersByTime(1);
    const err = await connecting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.CONNECT_TIMEOUT);
    await turns(1);
    expect(conn.closed).toBe(true);
    expect(session.client.isConnected()).toBe(false);
  });

  test("the connectTimeout option applies when connect() gets no timeout", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const session = await opening({ connectTimeout: 500 });
    await session.link.next("connect");
    vi.advanceTimersByTime(500);
    await expect(session.connected).rejects.toMatchObject({ code: ErrorCode.CONNECT_TIMEOUT });
  });

  test("a transport that never opens is aborted by the connect timeout", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let aborted = false;
    const client = new MQTTClient("cid", "h", {
      transport: (_events, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
    });
    const connecting = client.connect(true, 300);
    vi.advanceTimersByTime(300);
    const err = await connecting.catch((e: unknown) => e);
    expect(aborted).toBe(true);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.CONNECT_TIMEOUT);
  });

  test("a CONNACK in time clears the timer", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const session = await opening({ connectTimeout: 500 });
    await session.link.next("connect");
    session.link.connack();
    await session.connected;
    vi.advanceTimersByTime(10_000);
    await turns();
    expect(session.client.isConnected()).toBe(true);
    expect(session.conn.closed).toBe(false);
  });
});

describe("every promise settles", () => {
  test("a peer close rejects pending publish, subscribe, unsubscribe, ping and waitMsg with ERR_CONNECTION_CLOSED", async () => {
    const session = await connected();
    const settle = await pendingWork(session);
    session.conn.close();
    expectAll(await settle(), ConnectionError, ErrorCode.CONNECTION_CLOSED);
    expect(session.client.isConnected()).toBe(false);
  });

  test("a peer close rejects publishes waiting for a window slot", async () => {
    const { client, link, conn } = await connected({ maxInflight: 1 });
    const first = client.publish("t", "1", false, 1);
    const second = client.publish("t", "2", false, 1);
    await link.next("publish");
    conn.close();
    await expect(first).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    await expect(second).rejects.toBeInstanceOf(ConnectionError);
  });

  test("disconnect() sends e0 00, closes the link and rejects pending work with ERR_CLIENT_CLOSED", async () => {
    const session = await connected();
    const settle = await pendingWork(session);
    const mark = session.link.bytesWritten;
    await session.client.disconnect();
    expectAll(await settle(), MqttClientError, ErrorCode.CLIENT_CLOSED);
    expect(hex(session.link.bytes(mark))).toBe("e0 00");
    expect(session.conn.closed).toBe(true);
    expect(session.client.isConnected()).toBe(false);
    // later calls reject at once
    await expect(session.client.waitMsg()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    await expect(session.client.publish("t", "m")).rejects.toMatchObject({
      code: ErrorCode.NOT_CONNECTED,
    });
    // and a second disconnect() is harmless
    await session.client.disconnect();
    expect(session.link.bytesWritten).toBe(mark + 2);
  });

  test("disconnect() while awaiting CONNACK rejects connect() and sends no DISCONNECT", async () => {
    const session = await opening();
    await session.link.next("connect");
    const mark = session.link.bytesWritten;
    await session.client.disconnect();
    await expect(session.connected).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    expect(session.link.bytesWritten).toBe(mark);
  });

  test("disconnect() while the transport is still opening rejects connect() with ERR_CLIENT_CLOSED and the client stays disconnected", async () => {
    const broker = new ScriptedBroker();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const client = new MQTTClient("cid", "h", {
      keepalive: 0,
      transport: async (events, signal) => {
        await gate;
        return broker.factory(events, signal);
      },
    });
    const next = broker.nextLink();
    const outcome = client.connect().catch((err: unknown) => err);
    await turns();
    await client.disconnect();
    expect(await outcome).toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    // the transport that opens late is closed unused and does not revive the client
    open();
    const link = await next;
    const conn = link.conn;
    await turns();
    expect(conn.closed).toBe(true);
    expect(link.packets).toEqual([]);
    expect(client.isConnected()).toBe(false);
    // still closed by disconnect(), not by the late transport's close
    await expect(client.messages().next()).resolves.toEqual({ done: true, value: undefined });
  });

  test("after a drop, disconnect() closes the client: messages() ends and waitMsg() rejects with ERR_CLIENT_CLOSED", async () => {
    const { client, conn } = await connected();
    client.setCallback(() => {});
    const it = client.messages();
    conn.close(new Error("reset"));
    await turns();
    await expect(client.waitMsg()).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED });
    await client.disconnect();
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
    await expect(client.waitMsg()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
    await expect(client.checkMsg()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
  });

  test("disconnect() without a connection resolves", async () => {
    const client = new MQTTClient("cid", "h", { transport: new ScriptedBroker().factory });
    await expect(client.disconnect()).resolves.toBeUndefined();
  });
});

describe("broker refusals", () => {
  test("SUBACK 0x80 rejects with MQTTException 128 and the client stays usable", async () => {
    const { client, link } = await connected();
    const subscribing = client.subscribe("forbidden/#", 1);
    const packet = await link.next("subscribe");
    link.suback(packet.pid, 0x80);
    const err = await subscribing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MQTTException);
    expect((err as MQTTException).code).toBe(128);
    expect(client.isConnected()).toBe(true);
    const again = client.subscribe("allowed", 1);
    link.suback((await link.next("subscribe")).pid, 0);
    await expect(again).resolves.toBe(0);
  });
});

describe("protocol violations close the connection with ERR_PROTOCOL", () => {
  test.each([
    ["an incoming QoS 3 PUBLISH", fromHex("36 07 00 01 74 00 01 6d 6d")],
    ["a second CONNACK", fromHex("20 02 00 00")],
    ["a SUBSCRIBE", fromHex("82 06 00 01 00 01 74 00")],
    ["a PINGREQ", fromHex("c0 00")],
    ["malformed bytes (PUBACK of length 3)", fromHex("40 03 00 01 00")],
    ["a PUBACK with reserved flags", fromHex("41 02 00 01")],
    ["a remaining length of five bytes", fromHex("30 ff ff ff ff 7f")],
  ])("%s", async (_name, wire) => {
    const session = await connected();
    const settle = await pendingWork(session);
    session.link.send(wire);
    expectAll(await settle(), ConnectionError, ErrorCode.PROTOCOL);
    expect(session.conn.closed).toBe(true);
    expect(session.client.isConnected()).toBe(false);
  });

  test("a SUBACK whose return codes do not match the SUBSCRIBE's filters grants nothing", async () => {
    const { client, link, conn } = await connected();
    const subscribing = client.subscribe("a/#", 1);
    const packet = await link.next("subscribe");
    link.send(suback(packet.pid, [1, 1]));
    const err = await subscribing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.PROTOCOL);
    expect(conn.closed).toBe(true);
  });

  test("a packet larger than maxPacketSize", async () => {
    const session = await connected({ maxPacketSize: 64 });
    const publishing = session.client.publish("t", "m", false, 1);
    await session.link.next("publish");
    session.link.publish("t", new Uint8Array(100));
    await expect(publishing).rejects.toMatchObject({ code: ErrorCode.PROTOCOL });
  });

  test("a PUBLISH before CONNACK", async () => {
    const session = await opening();
    await session.link.next("connect");
    session.link.publish("t", "early");
    const err = await session.connected.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.PROTOCOL);
  });

  test.each([
    ["a PINGRESP", pingresp()],
    ["a PUBACK", puback(1)],
    ["a SUBACK", suback(1, [0])],
    ["an UNSUBACK", unsuback(1)],
  ] as [string, Uint8Array][])("%s before CONNACK [MQTT-3.2.0-1]", async (_name, packet) => {
    const session = await opening();
    await session.link.next("connect");
    session.link.send(packet);
    session.link.connack();
    const err = await session.connected.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.PROTOCOL);
    expect(session.client.isConnected()).toBe(false);
  });
});

describe("keepalive", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const fake = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });

  test("writes a PINGREQ after keepalive seconds of silence", async () => {
    fake();
    const { link } = await connected({ keepalive: 1 });
    vi.advanceTimersByTime(999);
    await turns();
    expect(link.takeAll()).toEqual([]);
    vi.advanceTimersByTime(1);
    await link.next("pingreq");
  });

  test("no PINGRESP: the link is declared dead within 1.5 × keepalive of the last received byte, and everything pending rejects", async () => {
    fake();
    const session = await connected({ keepalive: 1 });
    // (an explicit ping() has its own, shorter deadline: see the ping() tests)
    const settle = await pendingWork(session, false);
    vi.advanceTimersByTime(1000);
    await session.link.next("pingreq");
    vi.advanceTimersByTime(499);
    await turns();
    expect(session.client.isConnected()).toBe(true);
    vi.advanceTimersByTime(1);
    const settled = await settle();
    expectAll(settled, ConnectionError, ErrorCode.KEEPALIVE_TIMEOUT);
    expect(session.conn.closed).toBe(true);
    expect(session.client.isConnected()).toBe(false);
  });

  test("PINGRESPs keep the link alive", async () => {
    fake();
    const { client, link, conn } = await connected({ keepalive: 1 });
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(1000);
      await link.next("pingreq");
      link.pingresp();
      await turns(1);
    }
    expect(client.isConnected()).toBe(true);
    expect(conn.closed).toBe(false);
  });

  test("a dead link is detected while the reader is paused (inbox full): the ping probes the reader, and a publish stuck on the full socket rejects", async () => {
    fake();
    const { client, link, conn } = await connected({ keepalive: 1, maxQueuedMessages: 1 });
    link.publish("t", "1");
    link.publish("t", "2");
    await turns();
    expect(conn.paused).toBe(true);
    // the socket is full too: a QoS 0 publish waits for a drain that never comes
    conn.block();
    await client.publish("t", new Uint8Array(70_000));
    const stuck = client.publish("t", new Uint8Array(70_000)).catch((err: unknown) => err);
    vi.advanceTimersByTime(1000);
    await link.next("publish");
    await link.next("pingreq");
    // the probe read what the broker had queued ("2"), then flow control paused again
    await turns();
    expect(inboxLength(conn)).toBe(2);
    expect(conn.paused).toBe(true);
    // the link dies now: no PINGRESP to the next ping, read by the probe or not
    vi.advanceTimersByTime(1000);
    await link.next("pingreq");
    vi.advanceTimersByTime(499);
    await turns();
    expect(client.isConnected()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(await stuck).toMatchObject({ code: ErrorCode.KEEPALIVE_TIMEOUT });
    expect(client.isConnected()).toBe(false);
  });

  test("a reader paused with the inbox past its hard cap is not probed, and its silence is not held against the link", async () => {
    fake();
    const { client, link, conn } = await connected({ keepalive: 1, maxQueuedMessages: 1 });
    // one chunk of 20 messages: all decoded at once, past the hard cap of 16
    const publish = (i: number) => publishFrame("t", `${i}`);
    link.send(Uint8Array.from(Array.from({ length: 20 }, (_, i) => [...publish(i)]).flat()));
    link.publish("t", "queued");
    await turns();
    expect(conn.paused).toBe(true);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      await turns();
    }
    expect(conn.paused).toBe(true);
    expect(client.isConnected()).toBe(true);
    expect(inboxLength(conn)).toBe(20);
  });

  test("no pings with keepalive 0", async () => {
    fake();
    const { client, link } = await connected({ keepalive: 0 });
    vi.advanceTimersByTime(3_600_000);
    await turns();
    expect(link.takeAll()).toEqual([]);
    expect(client.isConnected()).toBe(true);
  });
});

describe("ping()", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("sends c0 00 and resolves on the PINGRESP", async () => {
    const { client, link } = await connected();
    let done = false;
    const pinging = client.ping().then(() => {
      done = true;
    });
    const mark = link.bytesWritten;
    await link.next("pingreq");
    expect(hex(link.bytes(mark))).toBe("c0 00");
    await turns();
    expect(done).toBe(false);
    link.pingresp();
    await pinging;
  });

  test("with no PINGRESP the connection closes with ERR_KEEPALIVE_TIMEOUT", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { client, link, conn } = await connected({ keepalive: 0, connectTimeout: 2000 });
    const pinging = client.ping();
    await link.next("pingreq");
    vi.advanceTimersByTime(2000);
    await expect(pinging).rejects.toMatchObject({ code: ErrorCode.KEEPALIVE_TIMEOUT });
    await turns(1);
    expect(conn.closed).toBe(true);
  });
});
