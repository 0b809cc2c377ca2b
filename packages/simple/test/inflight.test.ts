import { describe, expect, test } from "vitest";
import { Inflight, type Pending, RequestKind } from "../src/inflight.js";

function pending(kind: RequestKind = RequestKind.PUBLISH, log: string[] = []): Pending {
  return {
    kind,
    packet: new Uint8Array(0),
    sent: false,
    resolve: (value) => log.push(`resolve ${value}`),
    reject: (err) => log.push(`reject ${err.message}`),
  };
}

describe("Inflight packet ids", () => {
  test("start at 1 and count up", () => {
    const inflight = new Inflight(10);
    expect([inflight.allocate(), inflight.allocate(), inflight.allocate()]).toEqual([1, 2, 3]);
  });

  test("skip ids still in use", () => {
    const inflight = new Inflight(10);
    for (let i = 0; i < 65535; i++) {
      const pid = inflight.allocate();
      if (pid === 2 || pid === 3) inflight.add(pid, pending());
    }
    // the counter has wrapped: 1 is free, 2 and 3 are in flight
    expect(inflight.allocate()).toBe(1);
    expect(inflight.allocate()).toBe(4);
  });

  test("wrap after 65535 to 1, never 0", () => {
    const inflight = new Inflight(10);
    let last = 0;
    for (let i = 0; i < 65535; i++) last = inflight.allocate();
    expect(last).toBe(65535);
    expect(inflight.allocate()).toBe(1);
  });

  test("never hand out 0 or an id in use over two full cycles", () => {
    const inflight = new Inflight(10);
    const held = new Set<number>();
    const bad: number[] = [];
    for (let i = 0; i < 2 * 65535; i++) {
      const pid = inflight.allocate();
      if (pid < 1 || pid > 65535 || held.has(pid)) bad.push(pid);
      if (i % 1000 === 0) {
        inflight.add(pid, pending());
        held.add(pid);
      }
    }
    expect(bad).toEqual([]);
  });

  test("refuses to allocate when all 65535 ids are in flight", () => {
    const inflight = new Inflight(1);
    for (let i = 0; i < 65535; i++)
      inflight.add(inflight.allocate(), pending(RequestKind.SUBSCRIBE));
    expect(() => inflight.allocate()).toThrow(RangeError);
  });
});

describe("Inflight table", () => {
  test("take returns the request only for the matching kind and removes it", () => {
    const inflight = new Inflight(10);
    const request = pending(RequestKind.SUBSCRIBE);
    inflight.add(5, request);
    expect(inflight.take(5, RequestKind.PUBLISH)).toBeUndefined();
    expect(inflight.size).toBe(1);
    expect(inflight.take(5, RequestKind.SUBSCRIBE)).toBe(request);
    expect(inflight.size).toBe(0);
    expect(inflight.take(5, RequestKind.SUBSCRIBE)).toBeUndefined();
  });

  test("a freed id becomes available again", () => {
    const inflight = new Inflight(10);
    const pid = inflight.allocate();
    inflight.add(pid, pending());
    inflight.take(pid, RequestKind.PUBLISH);
    for (let i = 0; i < 65534; i++) inflight.allocate();
    expect(inflight.allocate()).toBe(pid);
  });

  test("unackedPublishes lists publishes only, oldest first", () => {
    const inflight = new Inflight(10);
    inflight.add(3, pending());
    inflight.add(1, pending(RequestKind.SUBSCRIBE));
    inflight.add(2, pending());
    expect([...inflight.unackedPublishes()].map(([pid]) => pid)).toEqual([3, 2]);
  });

  test("rejectRequests rejects only the given kinds and frees their slots", async () => {
    const inflight = new Inflight(1);
    const log: string[] = [];
    expect(inflight.acquireSlot()).toBeUndefined();
    inflight.add(1, pending(RequestKind.PUBLISH, log));
    inflight.add(2, pending(RequestKind.SUBSCRIBE, log));
    const waiting = inflight.acquireSlot();
    expect(waiting).toBeInstanceOf(Promise);
    inflight.rejectRequests(new Error("gone"), [RequestKind.PUBLISH]);
    expect(log).toEqual(["reject gone"]);
    expect(inflight.size).toBe(1);
    await expect(waiting).resolves.toBeUndefined();
    inflight.rejectRequests(new Error("all"));
    expect(log).toEqual(["reject gone", "reject all"]);
    expect(inflight.size).toBe(0);
  });
});

describe("Inflight publish window", () => {
  test("grants maxPublishes slots at once, then queues", () => {
    const inflight = new Inflight(2);
    expect(inflight.acquireSlot()).toBeUndefined();
    expect(inflight.acquireSlot()).toBeUndefined();
    expect(inflight.acquireSlot()).toBeInstanceOf(Promise);
  });

  test("hands freed slots to waiters in FIFO order", async () => {
    const inflight = new Inflight(1);
    const order: number[] = [];
    inflight.acquireSlot();
    const waits = [1, 2, 3].map((n) => inflight.acquireSlot()!.then(() => order.push(n)));
    inflight.releaseSlot();
    await waits[0];
    expect(order).toEqual([1]);
    inflight.releaseSlot();
    inflight.releaseSlot();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    // every slot was handed on, so one more release frees one for a newcomer
    inflight.releaseSlot();
    expect(inflight.acquireSlot()).toBeUndefined();
    expect(inflight.acquireSlot()).toBeInstanceOf(Promise);
  });

  test("a newcomer does not overtake a waiter", async () => {
    const inflight = new Inflight(1);
    inflight.acquireSlot();
    const first = inflight.acquireSlot()!;
    inflight.releaseSlot(); // handed to `first`
    expect(inflight.acquireSlot()).toBeInstanceOf(Promise);
    await first;
  });

  test("taking a PUBACKed publish releases its slot", async () => {
    const inflight = new Inflight(1);
    inflight.acquireSlot();
    inflight.add(1, pending());
    const waiting = inflight.acquireSlot()!;
    inflight.take(1, RequestKind.PUBLISH);
    await expect(waiting).resolves.toBeUndefined();
  });

  test("rejectWaiters rejects every publish waiting for a slot", async () => {
    const inflight = new Inflight(1);
    inflight.acquireSlot();
    const a = inflight.acquireSlot()!;
    const b = inflight.acquireSlot()!;
    const err = new Error("closed");
    inflight.rejectWaiters(err);
    await expect(a).rejects.toBe(err);
    await expect(b).rejects.toBe(err);
  });
});
