import { encode, type Packet } from "@umqtt/codec";
import { describe, expect, test } from "vitest";
import { Connection } from "../src/connection.js";
import { ConnectionError, ErrorCode, type MqttClientError } from "../src/errors.js";
import { type MemoryConnection, MemoryServer } from "../src/memory.js";
import { bytes, hex, turns } from "./fake-broker.js";

async function open(options: { maxPacketSize?: number } = {}) {
  const server = new MemoryServer();
  const packets: Packet[] = [];
  const closes: MqttClientError[] = [];
  const next = server.nextConnection();
  const connection = await Connection.open(
    server.factory,
    { packet: (p) => packets.push(p), close: (err) => closes.push(err) },
    { keepalive: 0, ...options },
    new AbortController().signal,
  );
  const peer: MemoryConnection = await next;
  return { connection, peer, packets, closes };
}

const A = Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x61); // PUBLISH "a", QoS 0, empty payload
const B = Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x62); // PUBLISH "b"
const C = Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x63); // PUBLISH "c"
const PINGREQ = Uint8Array.of(0xc0, 0x00);

describe("Connection writes", () => {
  test("packets sent in one tick are coalesced into one write", async () => {
    const { connection, peer } = await open();
    connection.send(A);
    connection.enqueue(B);
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

  test("while the transport is full, publishes wait in call order and flushed() waits for drain", async () => {
    const { connection, peer } = await open();
    peer.block();
    expect(connection.enqueue(A)).toBe(true);
    await turns(1);
    expect(peer.written.map(hex)).toEqual([hex(A)]);
    expect(connection.enqueue(B)).toBe(false);
    expect(connection.enqueue(C)).toBe(false);
    let flushed = false;
    const done = connection.flushed().then(() => {
      flushed = true;
    });
    await turns();
    expect(flushed).toBe(false);
    expect(peer.written).toHaveLength(1);
    peer.unblock();
    await done;
    expect(hex(Uint8Array.of(...peer.written.flatMap((chunk) => [...chunk])))).toBe(
      hex(Uint8Array.of(...A, ...B, ...C)),
    );
  });

  test("control packets overtake the publish backlog", async () => {
    const { connection, peer } = await open();
    peer.block();
    connection.enqueue(A);
    await turns(1);
    connection.enqueue(B);
    connection.send(PINGREQ);
    await turns();
    expect(peer.written.map(hex)).toEqual([hex(A), "c0 00"]);
    peer.unblock();
    await connection.flushed();
    expect(peer.written.map(hex)).toEqual([hex(A), "c0 00", hex(B)]);
  });

  test("nothing is written after close", async () => {
    const { connection, peer } = await open();
    connection.close(new ConnectionError(ErrorCode.CLIENT_CLOSED, "bye"));
    connection.send(PINGREQ);
    expect(connection.enqueue(A)).toBe(false);
    await turns();
    expect(peer.written).toHaveLength(0);
  });
});

describe("Connection reads", () => {
  test("decodes packets from any chunking, even one byte at a time", async () => {
    const { peer, packets } = await open();
    const wire = Uint8Array.of(
      ...encode({ type: "puback", packetId: 7 }),
      ...encode({ type: "pingresp" }),
    );
    for (const b of wire) peer.send(Uint8Array.of(b));
    await turns(1);
    expect(packets).toEqual([{ type: "puback", packetId: 7 }, { type: "pingresp" }]);
  });

  test("malformed bytes close the connection with ERR_PROTOCOL", async () => {
    const { connection, peer, closes } = await open();
    peer.send(bytes("40 03 00 01 00"));
    await turns(1);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(ConnectionError);
    expect(closes[0]!.code).toBe(ErrorCode.PROTOCOL);
    expect(connection.open).toBe(false);
    expect(peer.closed).toBe(true);
  });

  test("a packet larger than maxPacketSize closes the connection with ERR_PROTOCOL", async () => {
    const { peer, packets, closes } = await open({ maxPacketSize: 16 });
    peer.send(
      encode({
        type: "publish",
        topic: "t",
        payload: new Uint8Array(20),
        qos: 0,
        retain: false,
        dup: false,
      }),
    );
    await turns(1);
    expect(packets).toEqual([]);
    expect(closes.map((e) => e.code)).toEqual([ErrorCode.PROTOCOL]);
  });

  test("pause() holds incoming data until resume()", async () => {
    const { connection, peer, packets } = await open();
    connection.pause();
    expect(peer.paused).toBe(true);
    expect(connection.paused).toBe(true);
    peer.send(encode({ type: "pingresp" }));
    await turns();
    expect(packets).toEqual([]);
    connection.resume();
    expect(peer.paused).toBe(false);
    await turns(1);
    expect(packets).toEqual([{ type: "pingresp" }]);
  });
});

describe("Connection end", () => {
  test("a peer close reports ERR_CONNECTION_CLOSED once and rejects flushed()", async () => {
    const { connection, peer, closes } = await open();
    peer.block();
    connection.enqueue(A);
    await turns(1);
    connection.enqueue(B);
    const flushed = connection.flushed();
    peer.close();
    await expect(flushed).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(ConnectionError);
    expect(closes[0]!.code).toBe(ErrorCode.CONNECTION_CLOSED);
    connection.close(new ConnectionError(ErrorCode.PROTOCOL, "again"));
    expect(closes).toHaveLength(1);
    await expect(connection.flushed()).rejects.toBe(closes[0]);
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
      { packet: () => {}, close: () => {} },
      { keepalive: 0 },
      new AbortController().signal,
    );
    await expect(opening).rejects.toBeInstanceOf(ConnectionError);
    await expect(opening).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});
