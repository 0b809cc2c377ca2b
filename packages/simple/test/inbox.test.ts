import { describe, expect, test } from "vitest";
import { Inbox, type Incoming } from "../src/inbox.js";

function message(n: number, payloadBytes = 0): Incoming {
  return {
    first: 0x30,
    topic: Uint8Array.of(0x74),
    payload: new Uint8Array(payloadBytes),
    qos: 0,
    retain: false,
    dup: false,
    pid: n,
    epoch: 1,
  };
}

describe("Inbox", () => {
  test("is a FIFO", () => {
    const inbox = new Inbox(10, 1 << 20);
    for (let i = 1; i <= 3; i++) inbox.push(message(i));
    expect([inbox.shift()?.pid, inbox.shift()?.pid, inbox.shift()?.pid]).toEqual([1, 2, 3]);
    expect(inbox.shift()).toBeUndefined();
    expect(inbox.length).toBe(0);
  });

  test("keeps order across many pushes and shifts (compaction)", () => {
    const inbox = new Inbox(1 << 20, 1 << 30);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3000; i++) inbox.push(message(next++));
      for (let i = 0; i < 2500; i++) expect(inbox.shift()?.pid).toBe(expected++);
    }
    expect(inbox.length).toBe(next - expected);
    while (inbox.length > 0) expect(inbox.shift()?.pid).toBe(expected++);
    expect(inbox.bytes).toBe(0);
  });

  test("is full at the message limit", () => {
    const inbox = new Inbox(2, 1 << 20);
    inbox.push(message(1));
    expect(inbox.full).toBe(false);
    inbox.push(message(2));
    expect(inbox.full).toBe(true);
    inbox.shift();
    expect(inbox.full).toBe(false);
  });

  test("is full at the byte limit, counting topic and payload bytes", () => {
    const inbox = new Inbox(1000, 2048);
    inbox.push(message(1, 1000));
    expect(inbox.full).toBe(false);
    inbox.push(message(2, 1000));
    expect(inbox.full).toBe(true);
    expect(inbox.bytes).toBeGreaterThanOrEqual(2002);
    inbox.shift();
    inbox.shift();
    expect(inbox.bytes).toBe(0);
  });

  test("overflows only past 16 times the soft limits", () => {
    const inbox = new Inbox(2, 1 << 20);
    for (let i = 0; i < 32; i++) inbox.push(message(i));
    expect(inbox.full).toBe(true);
    expect(inbox.overflowing).toBe(false);
    inbox.push(message(32));
    expect(inbox.overflowing).toBe(true);
  });

  test("overflows past 16 times the byte limit", () => {
    const inbox = new Inbox(1 << 20, 1024);
    inbox.push(message(1, 16 * 1024));
    expect(inbox.overflowing).toBe(true);
  });
});
