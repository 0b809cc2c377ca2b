/** The in-memory transport on its own: delivery order, flow control, backpressure, close. */
import { describe, expect, test } from "vitest";
import { hex } from "../src/bytes.ts";
import { MemoryServer } from "../src/memory-transport.ts";
import { turns } from "../src/turns.ts";

async function open() {
  const server = new MemoryServer();
  const got: string[] = [];
  const events = { data: 0, drain: 0, closed: [] as (Error | undefined)[] };
  const next = server.nextConnection();
  const transport = await server.factory(
    {
      data: (c) => {
        events.data++;
        got.push(hex(c));
      },
      drain: () => events.drain++,
      closed: (cause) => events.closed.push(cause),
    },
    new AbortController().signal,
  );
  return { server, transport, conn: await next, got, events };
}

describe("MemoryServer / MemoryConnection", () => {
  test("the test's end sees every write; what it sends arrives later, in order", async () => {
    const { transport, conn, got } = await open();
    const seen: string[] = [];
    conn.onWrite((b) => seen.push(hex(b)));
    expect(transport.write(Uint8Array.of(0xc0, 0))).toBe(true);
    expect(conn.written.map(hex)).toEqual(["c0 00"]);
    expect(seen).toEqual(["c0 00"]);
    conn.send(Uint8Array.of(1));
    conn.send(Uint8Array.of(2));
    expect(got).toEqual([]); // asynchronous, as on a socket
    await turns(1);
    expect(got).toEqual(["01", "02"]);
  });

  test("pause() holds deliveries until resume()", async () => {
    const { transport, conn, got } = await open();
    transport.pause();
    expect(conn.paused).toBe(true);
    conn.send(Uint8Array.of(1));
    await turns();
    expect(got).toEqual([]);
    transport.resume();
    await turns(1);
    expect(got).toEqual(["01"]);
  });

  test("block() makes writes report full until unblock(), which emits drain", async () => {
    const { transport, conn, events } = await open();
    conn.block();
    expect(transport.write(Uint8Array.of(1))).toBe(false);
    expect(conn.written).toHaveLength(1); // still queued
    conn.unblock();
    await turns(1);
    expect(events.drain).toBe(1);
  });

  test("close(cause) is reported once; nothing is written or delivered after it", async () => {
    const { transport, conn, got, events } = await open();
    const cause = new Error("reset");
    conn.close(cause);
    conn.close();
    transport.close();
    expect(transport.write(Uint8Array.of(1))).toBe(false);
    conn.send(Uint8Array.of(2));
    await turns();
    expect(events.closed).toEqual([cause]);
    expect(got).toEqual([]);
    expect(conn.written).toHaveLength(0);
  });

  test("refuse makes opening fail (broker down); connections are listed in order", async () => {
    const server = new MemoryServer();
    server.refuse = new Error("ECONNREFUSED");
    const events = { data: () => {}, drain: () => {}, closed: () => {} };
    await expect(server.factory(events, new AbortController().signal)).rejects.toThrow(
      "ECONNREFUSED",
    );
    server.refuse = undefined;
    await server.factory(events, new AbortController().signal);
    expect(server.connections).toHaveLength(1);
  });
});
