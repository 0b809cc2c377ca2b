import type { Packet, Packet5 } from "@umqtt/codec";
import {
  concat,
  fromHex,
  hex,
  type MemoryConnection,
  MemoryServer,
  pingresp,
  puback,
  publish,
  turns,
} from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import { Connection } from "../src/connection.js";
import { ConnectionError, ErrorCode, type MqttClientError } from "../src/errors.js";

async function open(options: { maxPacketSize?: number } = {}) {
  const server = new MemoryServer();
  const packets: (Packet | Packet5)[] = [];
  const closes: MqttClientError[] = [];
  const owner = { canProbe: true };
  const next = server.nextConnection();
  const connection = await Connection.open(
    server.factory,
    {
      packetRead: (p) => packets.push(p),
      connectionClosed: (err) => closes.push(err),
      canProbe: () => owner.canProbe,
    },
    { keepalive: 0, ...options },
    new AbortController().signal,
  );
  const peer: MemoryConnection = await next;
  return { connection, peer, packets, closes, owner };
}

const A = Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x61); // PUBLISH "a", QoS 0, empty payload
const B = Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x62); // PUBLISH "b"
const C = Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x63); // PUBLISH "c"
const PINGREQ = Uint8Array.of(0xc0, 0x00);

describe("Connection writes", () => {
  test("packets sent in one tick are coalesced into one write", async () => {
    const { connection, peer } = await open();
    connection.send(A);
    expect(connection.enqueue(B, true)).toBeUndefined();
    connection.send(PINGREQ);
    expect(peer.written).toHaveLength(0);
    await turns(1);
    expect(peer.written.map(hex)).toEqual([hex(Uint8Array.of(...A, ...B, ...PINGREQ))]);
  });

  test("a write past 64 KiB goes out at once", async () => {
    const { connection, peer } = await open();
    connection.send(new Uint8Array(64 * 1024));
    expect(peer.written).toHaveLength(1);
  });

  test("flush() writes what is pending now", async () => {
    const { connection, peer } = await open();
    connection.send(PINGREQ);
    connection.flush();
    expect(peer.written.map(hex)).toEqual(["c0 00"]);
  });

  test("while the transport is full, publishes wait in call order until drain", async () => {
    const { connection, peer } = await open();
    peer.block();
    expect(connection.enqueue(A, true)).toBeUndefined();
    await turns(1);
    expect(peer.written.map(hex)).toEqual([hex(A)]);
    const b = connection.enqueue(B, true);
    expect(connection.enqueue(C, false)).toBeUndefined();
    let written = false;
    const done = b!.then(() => {
      written = true;
    });
    await turns();
    expect(written).toBe(false);
    expect(peer.written).toHaveLength(1);
    peer.unblock();
    await done;
    await turns(1);
    expect(hex(Uint8Array.of(...peer.written.flatMap((chunk) => [...chunk])))).toBe(
      hex(Uint8Array.of(...A, ...B, ...C)),
    );
  });

  test("control packets overtake the publish backlog", async () => {
    const { connection, peer } = await open();
    peer.block();
    connection.enqueue(A, false);
    await turns(1);
    const b = connection.enqueue(B, true);
    connection.send(PINGREQ);
    await turns();
    expect(peer.written.map(hex)).toEqual([hex(A), "c0 00"]);
    peer.unblock();
    await b;
    await turns(1);
    expect(peer.written.map(hex)).toEqual([hex(A), "c0 00", hex(B)]);
  });

  test("nothing is written after close", async () => {
    const { connection, peer } = await open();
    connection.close(new ConnectionError(ErrorCode.CLIENT_CLOSED, "bye"));
    connection.send(PINGREQ);
    await expect(connection.enqueue(A, true)).rejects.toMatchObject({
      code: ErrorCode.CLIENT_CLOSED,
    });
    await turns();
    expect(peer.written).toHaveLength(0);
  });
});

describe("Connection reads", () => {
  test("decodes packets from any chunking, even one byte at a time", async () => {
    const { peer, packets } = await open();
    const wire = concat([puback(7), pingresp()]);
    for (const b of wire) peer.send(Uint8Array.of(b));
    await turns(1);
    expect(packets).toEqual([{ type: "puback", packetId: 7 }, { type: "pingresp" }]);
  });

  test("malformed bytes close the connection with ERR_PROTOCOL", async () => {
    const { connection, peer, closes } = await open();
    peer.send(fromHex("40 03 00 01 00"));
    await turns(1);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(ConnectionError);
    expect(closes[0]!.code).toBe(ErrorCode.PROTOCOL);
    expect(connection.open).toBe(false);
    expect(peer.closed).toBe(true);
  });

  test("a packet larger than maxPacketSize closes the connection with ERR_PROTOCOL", async () => {
    const { peer, packets, closes } = await open({ maxPacketSize: 16 });
    peer.send(publish("t", new Uint8Array(20)));
    await turns(1);
    expect(packets).toEqual([]);
    expect(closes.map((e) => e.code)).toEqual([ErrorCode.PROTOCOL]);
  });

  test("pause() holds incoming data until resume()", async () => {
    const { connection, peer, packets } = await open();
    connection.pause();
    expect(peer.paused).toBe(true);
    expect(connection.readerPaused()).toBe(true);
    peer.send(pingresp());
    await turns();
    expect(packets).toEqual([]);
    connection.resume();
    expect(peer.paused).toBe(false);
    await turns(1);
    expect(packets).toEqual([{ type: "pingresp" }]);
  });

  test("a keepalive probe resumes a paused reader so that the owner's next pause() stops it again", async () => {
    const { connection, peer, packets } = await open();
    connection.pause();
    peer.send(pingresp());
    expect(connection.probe()).toBe(true);
    expect(peer.paused).toBe(false);
    expect(connection.readerPaused()).toBe(false);
    await turns(1);
    expect(packets).toEqual([{ type: "pingresp" }]);
    connection.pause();
    expect(peer.paused).toBe(true);
  });

  test("a keepalive probe leaves the reader paused when the owner forbids reading", async () => {
    const { connection, peer, packets, owner } = await open();
    owner.canProbe = false;
    connection.pause();
    peer.send(pingresp());
    expect(connection.probe()).toBe(false);
    await turns();
    expect(peer.paused).toBe(true);
    expect(packets).toEqual([]);
  });
});

describe("Connection end", () => {
  test("a peer close reports ERR_CONNECTION_CLOSED once and rejects what was never written", async () => {
    const { connection, peer, closes } = await open();
    peer.block();
    connection.enqueue(A, false);
    await turns(1);
    const unwritten = connection.enqueue(B, true);
    peer.close();
    await expect(unwritten).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(ConnectionError);
    expect(closes[0]!.code).toBe(ErrorCode.CONNECTION_CLOSED);
    connection.close(new ConnectionError(ErrorCode.PROTOCOL, "again"));
    expect(closes).toHaveLength(1);
    await expect(connection.enqueue(C, true)).rejects.toBe(closes[0]);
  });

  test("a publish written before the close resolves even if a later one is still waiting", async () => {
    // Otherwise robust would re-send the written one on the next connection: a QoS 0 duplicate.
    const { connection, peer } = await open();
    peer.block();
    connection.enqueue(A, false);
    await turns(1);
    // B fills a whole write (64 KiB), so C needs another drain after it.
    const big = new Uint8Array(64 * 1024);
    const b = connection.enqueue(big, true);
    const c = connection.enqueue(C, true);
    const outcome = { b: "pending", c: "pending" };
    b!.then(
      () => (outcome.b = "written"),
      () => (outcome.b = "rejected"),
    );
    c!.then(
      () => (outcome.c = "written"),
      () => (outcome.c = "rejected"),
    );
    // The drain makes room for B only: the transport reports full again right after it.
    peer.unblock();
    peer.block();
    await turns();
    expect(outcome).toEqual({ b: "written", c: "pending" });
    peer.close();
    await turns();
    expect(outcome).toEqual({ b: "written", c: "rejected" });
  });

  test("close(err) closes the transport and reports err", async () => {
    const { connection, peer, closes } = await open();
    const err = new ConnectionError(ErrorCode.PROTOCOL, "bad");
    connection.close(err);
    expect(closes).toEqual([err]);
    expect(connection.closedBy).toBe(err);
    expect(peer.closed).toBe(true);
  });

  test("a transport that cannot open rejects with ERR_CONNECTION_CLOSED", async () => {
    const server = new MemoryServer();
    server.refuse = new Error("ECONNREFUSED");
    const opening = Connection.open(
      server.factory,
      { packetRead: () => {}, connectionClosed: () => {}, canProbe: () => true },
      { keepalive: 0 },
      new AbortController().signal,
    );
    await expect(opening).rejects.toBeInstanceOf(ConnectionError);
    await expect(opening).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });

  test("a transport that opens after the abort is closed without reporting a close", async () => {
    const server = new MemoryServer();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const closes: MqttClientError[] = [];
    const abort = new AbortController();
    const next = server.nextConnection();
    const opening = Connection.open(
      async (events, signal) => {
        await gate;
        return server.factory(events, signal);
      },
      { packetRead: () => {}, connectionClosed: (err) => closes.push(err), canProbe: () => true },
      { keepalive: 0 },
      abort.signal,
    );
    const reason = new ConnectionError(ErrorCode.CONNECT_TIMEOUT, "late");
    abort.abort(reason);
    await expect(opening).rejects.toBe(reason);
    open();
    const peer = await next;
    await turns();
    expect(peer.closed).toBe(true);
    expect(closes).toEqual([]);
  });
});
