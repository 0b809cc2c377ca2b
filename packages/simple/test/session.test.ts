/**
 * The pure session: packets and requests in, frames and settlements out — no transport, no
 * timers. Frames the session returns are decoded with the codec to assert on them.
 */
import { decode, encodePublish, type Packet } from "@umqtt/codec";
import { describe, expect, test } from "vitest";
import { ConnectionError, ErrorCode, MQTTException } from "../src/errors.js";
import { Inbox } from "../src/inbox.js";
import { RequestKind, Session } from "../src/session.js";

const inbox = (): Inbox => new Inbox(1000, 1 << 20);
const online = (window = 10): Session => {
  const session = new Session(window, inbox());
  session.connected(false);
  return session;
};

/** A request's outcome, recorded as it settles. */
function tracked(log: string[] = [], name = "r") {
  return {
    log,
    resolve: (value: number) => log.push(`${name} resolved ${value}`),
    reject: (err: Error) =>
      log.push(`${name} rejected ${(err as { code?: unknown }).code ?? err.message}`),
  };
}

const publishFrame = (qos: 1 | 2, payload = "m"): Uint8Array =>
  encodePublish("t", payload, qos, false, false, 1);

const decoded = (frame: Uint8Array | undefined): Packet | undefined => frame && decode(frame);

function publishIn(
  qos: 0 | 1 | 2,
  pid?: number,
  dup = false,
): Extract<Packet, { type: "publish" }> {
  return {
    type: "publish",
    topic: new TextEncoder().encode("t"),
    payload: new TextEncoder().encode("m"),
    qos,
    retain: false,
    dup,
    ...(qos ? { packetId: pid } : {}),
  };
}

describe("packet ids", () => {
  test("start at 1 and count up", () => {
    const session = online();
    expect([session.allocate(), session.allocate(), session.allocate()]).toEqual([1, 2, 3]);
  });

  test("skip ids still in use", () => {
    const session = online();
    for (let i = 0; i < 65535; i++) {
      const pid = session.allocate();
      if (pid === 2 || pid === 3)
        session.request(RequestKind.SUBSCRIBE, pid, Uint8Array.of(0), 1, tracked());
    }
    // the counter has wrapped: 1 is free, 2 and 3 are in flight
    expect(session.allocate()).toBe(1);
    expect(session.allocate()).toBe(4);
  });

  test("wrap after 65535 to 1, never 0", () => {
    const session = online();
    let last = 0;
    for (let i = 0; i < 65535; i++) last = session.allocate();
    expect(last).toBe(65535);
    expect(session.allocate()).toBe(1);
  });

  test("never hand out 0 or an id in use over two full cycles", () => {
    const session = online();
    const held = new Set<number>();
    const bad: number[] = [];
    for (let i = 0; i < 2 * 65535; i++) {
      const pid = session.allocate();
      if (pid < 1 || pid > 65535 || held.has(pid)) bad.push(pid);
      if (i % 1000 === 0) {
        session.request(RequestKind.SUBSCRIBE, pid, Uint8Array.of(0), 1, tracked());
        held.add(pid);
      }
    }
    expect(bad).toEqual([]);
  });

  test("refuses to allocate when all 65535 ids are in flight", () => {
    const session = online(1);
    for (let i = 0; i < 65535; i++) {
      session.request(RequestKind.SUBSCRIBE, session.allocate(), Uint8Array.of(0), 1, tracked());
    }
    expect(() => session.allocate()).toThrow(RangeError);
  });

  test("a PUBLISH request gets its id written into its frame", () => {
    const session = online();
    const frame = session.request(RequestKind.PUBLISH, 0x1234, publishFrame(1), 1, tracked());
    expect(decoded(frame)).toMatchObject({ type: "publish", packetId: 0x1234, dup: false });
  });
});

describe("the publish window", () => {
  test("grants `window` slots at once, then queues", () => {
    const session = online(2);
    expect(session.acquireSlot()).toBeUndefined();
    expect(session.acquireSlot()).toBeUndefined();
    expect(session.acquireSlot()).toBeInstanceOf(Promise);
  });

  test("hands freed slots to waiters in call order", async () => {
    const session = online(1);
    const order: number[] = [];
    session.acquireSlot();
    const waits = [1, 2, 3].map((n) => session.acquireSlot()!.then(() => order.push(n)));
    session.releaseSlot();
    await waits[0];
    expect(order).toEqual([1]);
    session.releaseSlot();
    session.releaseSlot();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    // every slot was handed on, so one more release frees one for a newcomer
    session.releaseSlot();
    expect(session.acquireSlot()).toBeUndefined();
    expect(session.acquireSlot()).toBeInstanceOf(Promise);
  });

  test("a newcomer does not overtake a waiter", async () => {
    const session = online(1);
    session.acquireSlot();
    const first = session.acquireSlot()!;
    session.releaseSlot(); // handed to `first`
    expect(session.acquireSlot()).toBeInstanceOf(Promise);
    await first;
  });

  test("a PUBACK frees its publish's slot", async () => {
    const session = online(1);
    session.acquireSlot();
    session.request(RequestKind.PUBLISH, 1, publishFrame(1), 1, tracked());
    const waiting = session.acquireSlot()!;
    session.handle({ type: "puback", packetId: 1 });
    await expect(waiting).resolves.toBeUndefined();
  });

  test("a smaller window (Receive Maximum) holds waiters until in-flight falls below it", async () => {
    const session = online(3);
    for (let i = 0; i < 3; i++) session.acquireSlot();
    const log: string[] = [];
    const waiting = session.acquireSlot()!.then(() => log.push("granted"));
    session.window = 2;
    session.releaseSlot(); // 2 in flight: at the new window, nothing handed on
    await Promise.resolve();
    expect(log).toEqual([]);
    session.releaseSlot(); // 1 in flight
    await waiting;
    expect(log).toEqual(["granted"]);
  });

  test("a larger window grants waiting slots at once", async () => {
    const session = online(1);
    session.acquireSlot();
    const waiting = session.acquireSlot()!;
    session.window = 2;
    await expect(waiting).resolves.toBeUndefined();
  });

  test("fail() rejects every publish waiting for a slot", async () => {
    const session = online(1);
    session.acquireSlot();
    const a = session.acquireSlot()!;
    const b = session.acquireSlot()!;
    const err = new Error("closed");
    session.fail(err);
    await expect(a).rejects.toBe(err);
    await expect(b).rejects.toBe(err);
  });
});

describe("acknowledgements", () => {
  test("PUBACK resolves its QoS 1 publish; a late or mismatched ack resolves nothing", () => {
    const session = online();
    const log: string[] = [];
    session.request(RequestKind.PUBLISH, 1, publishFrame(1), 1, tracked(log, "pub"));
    session.request(RequestKind.SUBSCRIBE, 2, Uint8Array.of(0), 1, tracked(log, "sub"));
    expect(session.handle({ type: "puback", packetId: 2 })).toBeUndefined(); // a SUBSCRIBE's id
    expect(session.handle({ type: "puback", packetId: 9 })).toBeUndefined(); // unknown
    expect(session.handle({ type: "unsuback", packetId: 1 })).toBeUndefined(); // a PUBLISH's id
    expect(log).toEqual([]);
    session.handle({ type: "puback", packetId: 1 });
    session.handle({ type: "puback", packetId: 1 }); // a duplicate
    expect(log).toEqual(["pub resolved 0"]);
    expect(session.size).toBe(1);
  });

  test("SUBACK resolves with the granted QoS, and 0x80 rejects with MQTTException 128", () => {
    const session = online();
    const log: string[] = [];
    session.request(RequestKind.SUBSCRIBE, 1, Uint8Array.of(0), 1, tracked(log, "a"));
    session.request(RequestKind.SUBSCRIBE, 2, Uint8Array.of(0), 1, {
      resolve: () => log.push("b resolved"),
      reject: (err) => log.push(`b ${err instanceof MQTTException} ${(err as MQTTException).code}`),
    });
    session.handle({ type: "suback", packetId: 1, returnCodes: [1] });
    session.handle({ type: "suback", packetId: 2, returnCodes: [0x80] });
    expect(log).toEqual(["a resolved 1", "b true 128"]);
  });

  test("a SUBACK with more return codes than filters is a protocol violation, and grants nothing", () => {
    const session = online();
    const log: string[] = [];
    session.request(RequestKind.SUBSCRIBE, 1, Uint8Array.of(0), 1, tracked(log));
    let err: unknown;
    try {
      session.handle({ type: "suback", packetId: 1, returnCodes: [1, 1] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.PROTOCOL);
    expect(log).toEqual([]);
    // the connection closes; the request rejects with it
    session.disconnected(err as Error, false);
    expect(log).toEqual(["r rejected ERR_PROTOCOL"]);
  });

  test("UNSUBACK resolves its unsubscribe", () => {
    const session = online();
    const log: string[] = [];
    session.request(RequestKind.UNSUBSCRIBE, 4, Uint8Array.of(0), 1, tracked(log));
    session.handle({ type: "unsuback", packetId: 4 });
    expect(log).toEqual(["r resolved 0"]);
  });

  test.each([
    ["CONNACK", { type: "connack", sessionPresent: false, returnCode: 0 }],
    [
      "SUBSCRIBE",
      { type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "t", qos: 0 }] },
    ],
    ["PINGREQ", { type: "pingreq" }],
  ] as [string, Packet][])("an unexpected %s is a protocol violation", (_name, packet) => {
    expect(() => online().handle(packet)).toThrow(ConnectionError);
  });
});

describe("outbound QoS 2", () => {
  test("PUBLISH → PUBREC → PUBREL → PUBCOMP: resolves on PUBCOMP and frees the slot", async () => {
    const session = online(1);
    const log: string[] = [];
    session.acquireSlot();
    session.request(RequestKind.PUBLISH, 7, publishFrame(2), 2, tracked(log));
    const waiting = session.acquireSlot()!;
    expect(decoded(session.handle({ type: "pubrec", packetId: 7 }))).toEqual({
      type: "pubrel",
      packetId: 7,
    });
    expect(log).toEqual([]);
    expect(session.handle({ type: "pubcomp", packetId: 7 })).toBeUndefined();
    expect(log).toEqual(["r resolved 0"]);
    await expect(waiting).resolves.toBeUndefined();
  });

  test("a duplicate PUBREC is answered with the PUBREL again", () => {
    const session = online();
    session.request(RequestKind.PUBLISH, 7, publishFrame(2), 2, tracked());
    session.handle({ type: "pubrec", packetId: 7 });
    expect(decoded(session.handle({ type: "pubrec", packetId: 7 }))).toEqual({
      type: "pubrel",
      packetId: 7,
    });
  });

  test("a PUBREC for a flow already complete is answered with PUBREL, settling nothing", () => {
    const session = online();
    expect(decoded(session.handle({ type: "pubrec", packetId: 3 }))).toEqual({
      type: "pubrel",
      packetId: 3,
    });
    expect(session.size).toBe(0);
  });

  test("a PUBCOMP does not complete a QoS 1 publish; a PUBACK fails a QoS 2 one (the broker downgraded it)", () => {
    const session = online();
    const log: string[] = [];
    session.request(RequestKind.PUBLISH, 1, publishFrame(1), 1, tracked(log, "q1"));
    session.request(RequestKind.PUBLISH, 2, publishFrame(2), 2, tracked(log, "q2"));
    session.handle({ type: "pubcomp", packetId: 1 });
    expect(log).toEqual([]);
    session.handle({ type: "puback", packetId: 2 });
    expect(log).toEqual(["q2 rejected ERR_PROTOCOL"]);
    expect(session.size).toBe(1);
  });

  test("a PUBCOMP before the PUBREC is a protocol violation", () => {
    const session = online();
    session.request(RequestKind.PUBLISH, 2, publishFrame(2), 2, tracked());
    expect(() => session.handle({ type: "pubcomp", packetId: 2 })).toThrow(ConnectionError);
    expect(session.size).toBe(1); // still there, to be settled by the close
  });
});

describe("inbound QoS 2", () => {
  test("delivered once per packet id until its PUBREL; PUBREC only once the application took it", () => {
    const session = online();
    expect(session.handle(publishIn(2, 5))).toBeUndefined();
    const message = session.inbox.shift()!;
    expect(message).toMatchObject({ qos: 2, pid: 5, first: 0x34 });
    // re-sent before the application took it: not delivered again, nothing sent
    expect(session.handle(publishIn(2, 5, true))).toBeUndefined();
    expect(session.inbox.length).toBe(0);
    expect(decoded(session.acknowledge(message))).toEqual({ type: "pubrec", packetId: 5 });
    // re-sent after the PUBREC (it was lost): the PUBREC again, still no delivery
    expect(decoded(session.handle(publishIn(2, 5, true)))).toEqual({
      type: "pubrec",
      packetId: 5,
    });
    expect(session.inbox.length).toBe(0);
    expect(decoded(session.handle({ type: "pubrel", packetId: 5 }))).toEqual({
      type: "pubcomp",
      packetId: 5,
    });
    // after the PUBREL the id is free: a new message with it is delivered
    session.handle(publishIn(2, 5));
    expect(session.inbox.length).toBe(1);
  });

  test("a PUBREL for an unknown id is answered with PUBCOMP [MQTT-4.3.3-2]", () => {
    expect(decoded(online().handle({ type: "pubrel", packetId: 9 }))).toEqual({
      type: "pubcomp",
      packetId: 9,
    });
  });

  test("taken while offline: no PUBREC now; the broker's re-send on the next connection gets it", () => {
    const session = online();
    session.handle(publishIn(2, 5));
    const message = session.inbox.shift()!;
    session.disconnected(new Error("drop"), true);
    expect(session.acknowledge(message)).toBeUndefined();
    session.connected(true);
    expect(decoded(session.handle(publishIn(2, 5, true)))).toEqual({
      type: "pubrec",
      packetId: 5,
    });
    expect(session.inbox.length).toBe(0);
  });

  test("taken on the next connection of the same session: the PUBREC goes out there", () => {
    const session = online();
    session.handle(publishIn(2, 5));
    session.disconnected(new Error("drop"), true);
    session.connected(true);
    expect(decoded(session.acknowledge(session.inbox.shift()!))).toEqual({
      type: "pubrec",
      packetId: 5,
    });
  });

  test("a session the broker lost forgets the ids awaiting PUBREL", () => {
    const session = online();
    session.handle(publishIn(2, 5));
    session.acknowledge(session.inbox.shift()!);
    session.disconnected(new Error("drop"), true);
    session.connected(false);
    session.handle(publishIn(2, 5));
    expect(session.inbox.length).toBe(1); // a new message, delivered
  });
});

describe("inbound QoS 0 and 1", () => {
  test("QoS 1 is acknowledged with PUBACK on the connection it came on only", () => {
    const session = online();
    session.handle(publishIn(1, 3));
    session.handle(publishIn(1, 4));
    const first = session.inbox.shift()!;
    const second = session.inbox.shift()!;
    expect(decoded(session.acknowledge(first))).toEqual({ type: "puback", packetId: 3 });
    session.disconnected(new Error("drop"), true);
    session.connected(true);
    expect(session.acknowledge(second)).toBeUndefined();
  });

  test("QoS 0 needs no acknowledgement", () => {
    const session = online();
    session.handle(publishIn(0));
    expect(session.acknowledge(session.inbox.shift()!)).toBeUndefined();
  });
});

describe("a new connection", () => {
  test("re-sends unacknowledged publishes first, in order, DUP = 1, and PUBRELs where the session is present", () => {
    const session = online();
    const frames = [publishFrame(1, "a"), publishFrame(2, "b"), publishFrame(2, "c")];
    session.request(RequestKind.PUBLISH, 1, frames[0]!, 1, tracked());
    session.request(RequestKind.PUBLISH, 2, frames[1]!, 2, tracked());
    session.request(RequestKind.PUBLISH, 3, frames[2]!, 2, tracked());
    session.handle({ type: "pubrec", packetId: 2 }); // "b" awaits its PUBCOMP
    session.disconnected(new Error("drop"), true);
    const resent = session.connected(true).map((frame) => decode(frame));
    expect(resent).toEqual([
      expect.objectContaining({ type: "publish", packetId: 1, dup: true, qos: 1 }),
      { type: "pubrel", packetId: 2 },
      expect.objectContaining({ type: "publish", packetId: 3, dup: true, qos: 2 }),
    ]);
  });

  test("without the session on the broker, a publish awaiting its PUBCOMP starts over from its PUBLISH", () => {
    const session = online();
    session.request(RequestKind.PUBLISH, 2, publishFrame(2, "b"), 2, tracked());
    session.handle({ type: "pubrec", packetId: 2 });
    session.disconnected(new Error("drop"), true);
    const [again] = session.connected(false).map((frame) => decode(frame));
    expect(again).toMatchObject({ type: "publish", packetId: 2, qos: 2 });
    // the flow runs again from PUBREC
    expect(decoded(session.handle({ type: "pubrec", packetId: 2 }))?.type).toBe("pubrel");
  });

  test("a PUBLISH written with a topic alias is re-sent from its full frame on the next connection", () => {
    const session = online();
    const full = encodePublish("long/topic", "m", 1, false, false, 1);
    const aliased = encodePublish("a", "m", 1, false, false, 1); // stands in for the alias form
    const now = session.request(RequestKind.PUBLISH, 4, full, 1, tracked(), aliased);
    expect(now).toBe(aliased);
    expect(decoded(now)).toMatchObject({ packetId: 4 });
    session.disconnected(new Error("drop"), true);
    const [again] = session.connected(true).map((frame) => decode(frame));
    expect(again).toMatchObject({ packetId: 4, dup: true });
    expect(new TextDecoder().decode((again as { topic: Uint8Array }).topic)).toBe("long/topic");
  });

  test("a publish recorded while offline is written after the CONNACK without DUP", () => {
    const session = new Session(10, inbox());
    expect(session.request(RequestKind.PUBLISH, 1, publishFrame(1), 1, tracked())).toBeUndefined();
    const [first] = session.connected(false).map((frame) => decode(frame));
    expect(first).toMatchObject({ type: "publish", packetId: 1, dup: false });
  });

  test("a lost connection rejects subscribes and unsubscribes; publishes stay only when kept", () => {
    const log: string[] = [];
    const session = online();
    session.request(RequestKind.PUBLISH, 1, publishFrame(1), 1, tracked(log, "pub"));
    session.request(RequestKind.SUBSCRIBE, 2, Uint8Array.of(0), 1, tracked(log, "sub"));
    session.request(RequestKind.UNSUBSCRIBE, 3, Uint8Array.of(0), 1, tracked(log, "unsub"));
    session.disconnected(new Error("gone"), true);
    expect(log).toEqual(["sub rejected gone", "unsub rejected gone"]);
    expect(session.size).toBe(1);
    session.disconnected(new Error("closed"), false);
    expect(log).toEqual(["sub rejected gone", "unsub rejected gone", "pub rejected closed"]);
    expect(session.size).toBe(0);
  });
});
