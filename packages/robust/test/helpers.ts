/**
 * Test helper: a scripted broker on the in-memory transport. Every connection the client opens
 * becomes a {@link Wire}: the client's bytes are split into packets by a tiny frame parser
 * written here from the MQTT 3.1.1 layouts (an oracle independent of @umqtt/codec), and the
 * test answers with hand-built bytes. `next()` awaits the next packet (event-driven, no polling).
 */
import { withTimeout } from "@umqtt/testkit";
import { expect } from "vitest";
import {
  type MemoryConnection,
  MemoryServer,
  MQTTClient,
  type MQTTClientOptions,
} from "../src/index.js";

const utf8 = new TextEncoder();
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** One packet the client wrote, with the fields these tests look at. */
export interface Pkt {
  type:
    | "connect"
    | "publish"
    | "puback"
    | "subscribe"
    | "unsubscribe"
    | "pingreq"
    | "disconnect"
    | "other";
  /** The first header byte (type and flags). */
  first: number;
  /** Variable header + payload. */
  body: Uint8Array;
  /** CONNECT: the connect flags byte (0x02 clean session, 0x04 will, ...). */
  connectFlags?: number;
  clientId?: string;
  keepalive?: number;
  pid?: number;
  /** PUBLISH flags. */
  dup?: boolean;
  qos?: number;
  retain?: boolean;
  topic?: string;
  payload?: string;
  /** SUBSCRIBE: filter → QoS; UNSUBSCRIBE: filters. */
  filters?: { filter: string; qos?: number }[];
}

const TYPES: Record<number, Pkt["type"]> = {
  1: "connect",
  3: "publish",
  4: "puback",
  8: "subscribe",
  10: "unsubscribe",
  12: "pingreq",
  14: "disconnect",
};

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function str(b: Uint8Array, at: number): [string, number] {
  const n = u16(b, at);
  return [text(b.subarray(at + 2, at + 2 + n)), at + 2 + n];
}

/** Parses one packet's fields (fixed header byte + body). */
export function parse(first: number, body: Uint8Array): Pkt {
  const type = TYPES[first >> 4] ?? "other";
  const p: Pkt = { type, first, body };
  switch (type) {
    case "connect": {
      // 00 04 "MQTT" 04 flags keepalive(2) clientId(2+n) ...
      p.connectFlags = body[7]!;
      p.keepalive = u16(body, 8);
      [p.clientId] = str(body, 10);
      break;
    }
    case "publish": {
      p.dup = (first & 0x08) !== 0;
      p.qos = (first >> 1) & 3;
      p.retain = (first & 1) !== 0;
      let at: number;
      [p.topic, at] = str(body, 0);
      if (p.qos > 0) {
        p.pid = u16(body, at);
        at += 2;
      }
      p.payload = text(body.subarray(at));
      break;
    }
    case "puback":
      p.pid = u16(body, 0);
      break;
    case "subscribe":
    case "unsubscribe": {
      p.pid = u16(body, 0);
      p.filters = [];
      let at = 2;
      while (at < body.length) {
        let filter: string;
        [filter, at] = str(body, at);
        if (type === "subscribe") p.filters.push({ filter, qos: body[at++]! });
        else p.filters.push({ filter });
      }
      break;
    }
  }
  return p;
}

/** Splits a byte stream into whole packets; returns them and the unconsumed rest. */
export function frames(bytes: Uint8Array): { packets: Pkt[]; rest: Uint8Array } {
  const packets: Pkt[] = [];
  let at = 0;
  for (;;) {
    if (bytes.length - at < 2) break;
    let len = 0;
    let mul = 1;
    let i = at + 1;
    let complete = false;
    while (i < bytes.length && i < at + 5) {
      const b = bytes[i++]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        complete = true;
        break;
      }
    }
    if (!complete || bytes.length - i < len) break;
    packets.push(parse(bytes[at]!, bytes.slice(i, i + len)));
    at = i + len;
  }
  return { packets, rest: bytes.slice(at) };
}

/** The broker's end of one in-memory connection. */
export class Wire {
  readonly packets: Pkt[] = [];
  private cursor = 0;
  private rest: Uint8Array = new Uint8Array(0);
  private waiter: (() => void) | undefined;

  constructor(
    readonly conn: MemoryConnection,
    readonly index: number,
  ) {
    for (const chunk of conn.written) this.feed(chunk);
    conn.onWrite((chunk) => this.feed(chunk));
  }

  /** The next packet the client writes (or wrote and nobody took yet); asserts its type. */
  async next<T extends Pkt["type"]>(type?: T, ms = 2000): Promise<Pkt & { type: T }> {
    const got = await withTimeout(
      this.take(),
      ms,
      `the client to write ${type ?? "a packet"} on connection ${this.index}`,
    );
    if (type)
      expect(got.type, `expected ${type} on connection ${this.index}, got ${got.type}`).toBe(type);
    return got as Pkt & { type: T };
  }

  /** Packets written and not yet taken with next(). */
  get unread(): Pkt[] {
    return this.packets.slice(this.cursor);
  }

  /** Takes the CONNECT and answers it. */
  async accept(sessionPresent = false, returnCode = 0): Promise<Pkt> {
    const connect = await this.next("connect");
    this.connack(sessionPresent, returnCode);
    return connect;
  }

  connack(sessionPresent = false, returnCode = 0): void {
    this.conn.send(new Uint8Array([0x20, 0x02, sessionPresent ? 1 : 0, returnCode]));
  }

  puback(pid: number): void {
    this.conn.send(new Uint8Array([0x40, 0x02, pid >> 8, pid & 0xff]));
  }

  suback(pid: number, code = 1): void {
    this.conn.send(new Uint8Array([0x90, 0x03, pid >> 8, pid & 0xff, code]));
  }

  unsuback(pid: number): void {
    this.conn.send(new Uint8Array([0xb0, 0x02, pid >> 8, pid & 0xff]));
  }

  pingresp(): void {
    this.conn.send(new Uint8Array([0xd0, 0x00]));
  }

  /** Sends a PUBLISH to the client. */
  publish(topic: string, payload: string, qos: 0 | 1 = 0, pid = 1, dup = false): void {
    const t = utf8.encode(topic);
    const p = utf8.encode(payload);
    const body = [
      t.length >> 8,
      t.length & 0xff,
      ...t,
      ...(qos ? [pid >> 8, pid & 0xff] : []),
      ...p,
    ];
    if (body.length > 127) throw new Error("test PUBLISH too long for the one-byte length");
    this.conn.send(new Uint8Array([0x30 | (dup ? 8 : 0) | (qos << 1), body.length, ...body]));
  }

  /** Drops the link, as a reset socket would. */
  drop(): void {
    this.conn.close(new Error("connection reset by the test"));
  }

  private take(): Promise<Pkt> {
    if (this.cursor < this.packets.length) return Promise.resolve(this.packets[this.cursor++]!);
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    }).then(() => this.take());
  }

  private feed(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.rest.length + chunk.length);
    joined.set(this.rest);
    joined.set(chunk, this.rest.length);
    const { packets, rest } = frames(joined);
    this.rest = rest;
    this.packets.push(...packets);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** A memory server that turns every accepted connection into a {@link Wire}. */
export class Broker {
  readonly server = new MemoryServer();
  readonly wires: Wire[] = [];
  /** Connection attempts, refused ones included. */
  attempts = 0;
  /** While set, opening a connection waits for it (a slow TCP handshake). */
  hold: Promise<void> | undefined;
  private waiters: (() => void)[] = [];

  /** Pass as the client's `transport` option. */
  readonly factory: NonNullable<MQTTClientOptions["transport"]> = async (events, signal) => {
    this.attempts++;
    if (this.hold) await this.hold;
    const transport = await this.server.factory(events, signal);
    const conn = this.server.connections[this.server.connections.length - 1]!;
    this.wires.push(new Wire(conn, this.wires.length));
    for (const w of this.waiters.splice(0)) w();
    return transport;
  };

  /** While set, opening a connection fails (broker down). */
  set down(on: boolean) {
    this.server.refuse = on ? new Error("connect ECONNREFUSED (test)") : undefined;
  }

  /** The `index`-th connection (0-based), once the client has opened it. */
  async wire(index: number, ms = 2000): Promise<Wire> {
    const wait = async (): Promise<Wire> => {
      while (this.wires.length <= index) await new Promise<void>((r) => this.waiters.push(r));
      return this.wires[index]!;
    };
    return withTimeout(wait(), ms, `connection #${index}`);
  }

  /** The latest connection. */
  get last(): Wire {
    return this.wires[this.wires.length - 1]!;
  }
}

/** Options every unit test client gets: no keepalive, near-instant reconnects. */
export const FAST: MQTTClientOptions = { keepalive: 0, reconnectDelay: 1, maxReconnectDelay: 1 };

/** A client of class `Client` connected to a fresh scripted broker (CONNACK answered). */
export async function connected<C extends MQTTClient = MQTTClient>(
  options: MQTTClientOptions = {},
  {
    Client = MQTTClient as unknown as new (
      id: string,
      server: string,
      o: MQTTClientOptions,
    ) => C,
    cleanSession = true,
    sessionPresent = false,
    clientId = "robust-1",
  } = {},
): Promise<{ client: C; broker: Broker; wire: Wire }> {
  const broker = new Broker();
  const client = new Client(clientId, "memory", { ...FAST, ...options, transport: broker.factory });
  const up = client.connect(cleanSession);
  const wire = await broker.wire(0);
  await wire.accept(sessionPresent);
  await up;
  return { client, broker, wire };
}

/** Lets pending I/O run: a few macrotask turns (writes are coalesced per setImmediate). */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Settles a promise into a value/error record without an unhandled rejection. */
export function settle<T>(promise: Promise<T>): {
  readonly state: "pending" | "resolved" | "rejected";
  value?: T;
  error?: unknown;
  done: Promise<void>;
} {
  const rec: {
    state: "pending" | "resolved" | "rejected";
    value?: T;
    error?: unknown;
    done: Promise<void>;
  } = {
    state: "pending",
    done: Promise.resolve(),
  };
  rec.done = promise.then(
    (value) => {
      rec.state = "resolved";
      rec.value = value;
    },
    (error: unknown) => {
      rec.state = "rejected";
      rec.error = error;
    },
  );
  return rec;
}
