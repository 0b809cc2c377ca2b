/**
 * Test helper: the broker's end of an in-memory connection, speaking just enough MQTT by hand
 * (this package depends on @umqtt/robust only, so no codec here): it frames what the client
 * writes into `{ type, flags, body }` and builds the few packets a test sends back.
 */
import {
  type MemoryConnection,
  MemoryServer,
  MQTTClient,
  type MQTTClientOptions,
} from "../src/index.js";

export const utf8 = new TextEncoder();
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

export const Type = {
  CONNECT: 1,
  PUBLISH: 3,
  PUBACK: 4,
  SUBSCRIBE: 8,
  UNSUBSCRIBE: 10,
  PINGREQ: 12,
  DISCONNECT: 14,
} as const;

export interface Raw {
  type: number;
  flags: number;
  body: Uint8Array;
}

/** The packet id at the start of a SUBSCRIBE / UNSUBSCRIBE / PUBACK body. */
export const pidOf = (p: Raw): number => (p.body[0]! << 8) | p.body[1]!;

/** The filter of a one-filter SUBSCRIBE / UNSUBSCRIBE. */
export const filterOf = (p: Raw): string => {
  const len = (p.body[2]! << 8) | p.body[3]!;
  return text(p.body.subarray(4, 4 + len));
};

function frame(first: number, body: number[] | Uint8Array): Uint8Array {
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Uint8Array.from([first, ...len, ...body]);
}

export const connack = (sessionPresent = false, rc = 0): Uint8Array =>
  frame(0x20, [sessionPresent ? 1 : 0, rc]);
export const suback = (pid: number, code: number): Uint8Array =>
  frame(0x90, [pid >> 8, pid & 0xff, code]);
export const unsuback = (pid: number): Uint8Array => frame(0xb0, [pid >> 8, pid & 0xff]);
export function publish(
  topic: string | Uint8Array,
  payload: string,
  qos: 0 | 1 = 0,
  pid = 1,
): Uint8Array {
  const t = typeof topic === "string" ? utf8.encode(topic) : topic;
  const p = utf8.encode(payload);
  const body = [t.length >> 8, t.length & 0xff, ...t, ...(qos ? [pid >> 8, pid & 0xff] : []), ...p];
  return frame(0x30 | (qos << 1), body);
}

export class Peer {
  readonly packets: Raw[] = [];
  private buffer = new Uint8Array(0);
  private cursor = 0;
  private wake: (() => void) | undefined;

  constructor(readonly conn: MemoryConnection) {
    for (const chunk of conn.written) this.feed(chunk);
    conn.onWrite((chunk) => this.feed(chunk));
  }

  /** Packets of `type` the client wrote so far. */
  all(type: number): Raw[] {
    return this.packets.filter((p) => p.type === type);
  }

  /** The next packet (in write order) of `type`, skipping others; waits for it. */
  async next(type: number): Promise<Raw> {
    for (;;) {
      while (this.cursor < this.packets.length) {
        const p = this.packets[this.cursor++]!;
        if (p.type === type) return p;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  send(bytes: Uint8Array): void {
    this.conn.send(bytes);
  }

  private feed(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer);
    merged.set(chunk, this.buffer.length);
    let at = 0;
    for (;;) {
      if (merged.length - at < 2) break;
      let len = 0;
      let mul = 1;
      let i = at + 1;
      let complete = false;
      for (; i < merged.length && i < at + 5; i++) {
        len += (merged[i]! & 0x7f) * mul;
        mul *= 128;
        if (!(merged[i]! & 0x80)) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || merged.length - i < len) break;
      this.packets.push({
        type: merged[at]! >> 4,
        flags: merged[at]! & 0x0f,
        body: merged.slice(i, i + len),
      });
      at = i + len;
    }
    this.buffer = merged.slice(at);
    this.wake?.();
  }
}

/** Lets pending I/O run (the client coalesces writes per setImmediate). */
export async function turns(n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A default client on a MemoryServer, connected (CONNACK sent); returns the broker's end. */
export async function connected(
  options: MQTTClientOptions = {},
): Promise<{ client: MQTTClient; server: MemoryServer; peer: Peer }> {
  const server = new MemoryServer();
  const client = new MQTTClient("test", "memory", {
    reconnectDelay: 5,
    keepalive: 0,
    ...options,
    transport: server.factory,
  });
  const next = server.nextConnection();
  const connecting = client.connect();
  const peer = new Peer(await next);
  await peer.next(Type.CONNECT);
  peer.send(connack());
  await connecting;
  return { client, server, peer };
}

/** Answers the next SUBSCRIBE with `code` (granted QoS, or 0x80) and returns it. */
export async function answerSubscribe(peer: Peer, code = 0): Promise<Raw> {
  const sub = await peer.next(Type.SUBSCRIBE);
  peer.send(suback(pidOf(sub), code));
  return sub;
}
