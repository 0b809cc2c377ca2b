import { describe, expect, it } from "vitest";
import { type OfflineEntry, OfflineQueue } from "../src/index.js";

/** An entry that records how it ended. */
function entry(name: string, qos: 0 | 1, log: string[]): OfflineEntry {
  return {
    qos,
    resolve: () => log.push(`sent ${name}`),
    reject: (err) => log.push(`failed ${name}: ${err.message}`),
  };
}

describe("OfflineQueue", () => {
  it("keeps entries in call order and releases them all in that order", () => {
    const log: string[] = [];
    const q = new OfflineQueue(3, "drop-oldest");
    for (const [name, qos] of [
      ["a", 1],
      ["b", 0],
      ["c", 1],
    ] as const) {
      expect(q.add(entry(name, qos, log))).toBeUndefined();
    }
    expect(q.length).toBe(3);
    q.release();
    expect(log).toEqual(["sent a", "sent b", "sent c"]);
    expect(q.length).toBe(0);
  });

  it("drop-oldest: a full queue drops the oldest QoS 0 entry, not the oldest entry", () => {
    const log: string[] = [];
    const q = new OfflineQueue(3, "drop-oldest");
    const a = entry("a1", 1, log);
    const b = entry("b0", 0, log);
    const c = entry("c0", 0, log);
    q.add(a);
    q.add(b);
    q.add(c);
    const d = entry("d1", 1, log);
    expect(q.add(d)).toBe(b); // a is older but QoS 1
    const e = entry("e0", 0, log);
    expect(q.add(e)).toBe(c);
    expect(q.length).toBe(3);
    q.release();
    expect(log).toEqual(["sent a1", "sent d1", "sent e0"]);
  });

  it("drop-oldest never drops QoS 1: with only QoS 1 waiting, the new entry is refused", () => {
    const log: string[] = [];
    const q = new OfflineQueue(2, "drop-oldest");
    q.add(entry("a", 1, log));
    q.add(entry("b", 1, log));
    const c0 = entry("c0", 0, log);
    const c1 = entry("c1", 1, log);
    expect(q.add(c0)).toBe(c0);
    expect(q.add(c1)).toBe(c1);
    q.release();
    expect(log).toEqual(["sent a", "sent b"]);
  });

  it("reject: a full queue refuses the new entry, whatever its QoS, and keeps the old ones", () => {
    const log: string[] = [];
    const q = new OfflineQueue(2, "reject");
    q.add(entry("a", 0, log));
    q.add(entry("b", 0, log));
    const c = entry("c", 0, log);
    const d = entry("d", 1, log);
    expect(q.add(c)).toBe(c);
    expect(q.add(d)).toBe(d);
    expect(q.length).toBe(2);
    q.release();
    expect(log).toEqual(["sent a", "sent b"]);
  });

  it("a limit of 0 keeps nothing: every publish while offline is refused", () => {
    const log: string[] = [];
    for (const policy of ["drop-oldest", "reject"] as const) {
      const q = new OfflineQueue(0, policy);
      const a = entry("a", 0, log);
      expect(q.add(a)).toBe(a);
      expect(q.length).toBe(0);
    }
  });

  it("rejectAll fails every waiting entry in order and empties the queue", () => {
    const log: string[] = [];
    const q = new OfflineQueue(5, "reject");
    q.add(entry("a", 1, log));
    q.add(entry("b", 0, log));
    q.rejectAll(new Error("closed"));
    expect(log).toEqual(["failed a: closed", "failed b: closed"]);
    expect(q.length).toBe(0);
    q.release();
    expect(log).toHaveLength(2);
  });
});
