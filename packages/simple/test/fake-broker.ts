/**
 * Test helper: the broker's end of a {@link MemoryConnection}. Everything the client writes is
 * decoded into `packets`; `next(type)` awaits the next one (event-driven, no polling), `reply()`
 * encodes and sends a packet to the client.
 */
import { Decoder, encode, type Packet, type PacketInput } from "@umqtt/codec";
import { expect } from "vitest";
import { MQTTClient, type MQTTClientOptions } from "../src/client.js";
import { type MemoryConnection, MemoryServer } from "../src/memory.js";

/** The packet variant whose `type` may be T (AckPacket covers several types). */
type PacketOf<T extends Packet["type"]> = Packet extends infer P
  ? P extends { type: infer U }
    ? T extends U
      ? P & { type: T }
      : never
    : never
  : never;

export const utf8 = new TextEncoder();
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Hex of bytes as "10 0f 00 …", for readable byte-exact assertions. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function bytes(hexString: string): Uint8Array {
  return Uint8Array.from(hexString.split(/\s+/).filter(Boolean), (h) => Number.parseInt(h, 16));
}

/** Lets pending I/O run: a few macrotask turns (the client coalesces writes per setImmediate). */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeBroker {
  /** Every packet the client wrote, in order. */
  readonly packets: Packet[] = [];
  private readonly decoder = new Decoder();
  private cursor = 0;
  private waiter: (() => void) | undefined;
  decodeError: unknown;

  constructor(readonly conn: MemoryConnection) {
    for (const chunk of conn.written) this.feed(chunk);
    conn.onWrite((chunk) => this.feed(chunk));
  }

  /** Total bytes the client wrote on this connection. */
  get bytesWritten(): number {
    return this.conn.written.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** All bytes the client wrote, concatenated. */
  get wire(): Uint8Array {
    const out = new Uint8Array(this.bytesWritten);
    let at = 0;
    for (const chunk of this.conn.written) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** Packets written but not yet taken with `next()`. */
  get unread(): Packet[] {
    return this.packets.slice(this.cursor);
  }

  /** Takes every packet written and not yet taken. */
  takeAll(): Packet[] {
    const taken = this.packets.slice(this.cursor);
    this.cursor = this.packets.length;
    return taken;
  }

  /** The next packet the client writes (or already wrote and nobody took), of the given type. */
  async next<T extends Packet["type"]>(type: T): Promise<PacketOf<T>> {
    while (this.cursor >= this.packets.length) {
      if (this.decodeError) throw this.decodeError;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    const packet = this.packets[this.cursor++]!;
    expect(packet.type, `expected the client to write ${type}`).toBe(type);
    return packet as PacketOf<T>;
  }

  /** Encodes and sends a packet to the client. */
  reply(packet: PacketInput): void {
    this.conn.send(encode(packet));
  }

  /** Sends raw bytes to the client. */
  send(data: Uint8Array): void {
    this.conn.send(data);
  }

  connack(returnCode = 0, sessionPresent = false): void {
    this.reply({ type: "connack", returnCode, sessionPresent });
  }

  puback(packetId: number): void {
    this.reply({ type: "puback", packetId });
  }

  publish(
    topic: string,
    payload: string | Uint8Array,
    qos: 0 | 1 = 0,
    packetId?: number,
    retain = false,
  ): void {
    this.reply({ type: "publish", topic, payload, qos, retain, dup: false, packetId });
  }

  private feed(chunk: Uint8Array): void {
    try {
      this.packets.push(...this.decoder.push(chunk));
    } catch (err) {
      this.decodeError = err;
    }
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

export interface Session {
  client: MQTTClient;
  server: MemoryServer;
  conn: MemoryConnection;
  broker: FakeBroker;
}

/** A client on a fresh in-memory server, connection opened but CONNACK not sent yet. */
export async function opening(
  options: MQTTClientOptions = {},
  clientId = "cid",
  cleanSession = true,
): Promise<Session & { connected: Promise<boolean> }> {
  const server = new MemoryServer();
  const client = new MQTTClient(clientId, "memory", {
    keepalive: 0,
    ...options,
    transport: server.factory,
  });
  const next = server.nextConnection();
  const connected = client.connect(cleanSession);
  const conn = await next;
  const broker = new FakeBroker(conn);
  return { client, server, conn, broker, connected };
}

/** A connected client (CONNACK accepted) with the broker's end; CONNECT already taken. */
export async function connected(options: MQTTClientOptions = {}): Promise<Session> {
  const session = await opening(options);
  await session.broker.next("connect");
  session.broker.connack();
  await session.connected;
  return session;
}
