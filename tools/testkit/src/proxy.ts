/**
 * Design: a real TCP proxy between a client under test and a broker, for fault injection.
 * It owns both sockets of every connection and can cut (dropAll), stall (blackhole), slow
 * (setDelay) or refuse them. Each direction is also decoded with @umqtt/codec into a tap, at
 * the moment the bytes reach the proxy, as MQTT 3.1.1 or (`protocolVersion: 5`) MQTT 5. The
 * tap must never affect forwarding: a decode error (a stream cut mid-packet) only resets that
 * direction's decoder.
 *
 *   client ──up──▶ [tap][blackhole? drop][delay queue] ──▶ broker
 *   client ◀─down── [delay queue][blackhole? drop][tap] ◀── broker
 */
import net from "node:net";
import { Decoder, encode, type Packet, type Packet5 } from "@umqtt/codec";
import { TimeoutError } from "./deferred.ts";

/** Direction of a packet: "up" is client → broker, "down" is broker → client. */
export type TapDirection = "up" | "down";

/** One decoded packet seen by the proxy (`Packet5` records when started with `protocolVersion: 5`). */
export interface TapRecord<P extends Packet | Packet5 = Packet> {
  /** Connection serial, 1-based, in accept order. */
  conn: number;
  /** Date.now() when the bytes reached the proxy. */
  at: number;
  dir: TapDirection;
  packet: P;
  /** True when blackhole() swallowed it: the other side never got it. */
  dropped: boolean;
}

/** Options for startFaultProxy(). */
export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Decode and record packets (default true); false for long benchmarks. */
  tap?: boolean;
  /** The version the tap decodes (default 4); the proxy never guesses it from the bytes. */
  protocolVersion?: 4 | 5;
}

/** What the tap records for a protocol version. */
export type TapPacket<V extends 4 | 5> = V extends 5 ? Packet5 : Packet;

/** A running fault-injection proxy. */
export interface FaultProxy<P extends Packet | Packet5 = Packet> {
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  /** Client connections currently open. */
  connections(): number;
  /** Destroys every client and upstream socket at once (TCP RST where possible). */
  dropAll(): void;
  /** While on, sockets stay open but no bytes are forwarded either way (they are dropped). */
  blackhole(on: boolean): void;
  /** Delays forwarding in both directions by ms, preserving order. 0 turns it off. */
  setDelay(ms: number): void;
  /** While on, new connections are accepted and reset at once (broker down). */
  refuse(on: boolean): void;
  /**
   * Cuts a connection in the middle of a packet: the chunk now being tapped in `dir` (call it
   * from `onPacket`), or else the next one, is forwarded without the second half of its last
   * packet, followed by a FIN, and the sender's socket is reset; other connections are left
   * alone. The tap still records the whole chunk.
   */
  cutMidPacket(dir: TapDirection): void;
  /** Client → broker packets. */
  readonly tap: TapRecord<P>[];
  /** Broker → client packets. */
  readonly brokerTap: TapRecord<P>[];
  /** Calls fn for every tapped packet; returns an unsubscribe function. */
  onPacket(fn: (rec: TapRecord<P>, dir: TapDirection) => void): () => void;
  /** First record (already tapped, in arrival order, or arriving later) matching pred. */
  waitForPacket(pred: (rec: TapRecord<P>) => boolean, timeoutMs?: number): Promise<TapRecord<P>>;
  /** Destroys all connections and stops listening. */
  close(): Promise<void>;
}

function reset(socket: net.Socket): void {
  try {
    // RST only works on a connected TCP handle; fall back to a plain destroy.
    if (!socket.destroyed && !socket.connecting) socket.resetAndDestroy();
    else socket.destroy();
  } catch {
    socket.destroy();
  }
}

/** One direction of one connection: tap, blackhole, ordered delay, write. */
class Pipe {
  private decoder: Decoder<4 | 5>;
  private queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ending = false;

  constructor(
    private readonly proxy: TcpFaultProxy,
    private readonly conn: number,
    private readonly dir: TapDirection,
    private readonly dst: net.Socket,
    private readonly abortSource: () => void,
  ) {
    this.decoder = proxy.newDecoder();
  }

  push(chunk: Buffer): void {
    const at = Date.now();
    const dropped = this.proxy.blackholed;
    const tail = this.proxy.tapping ? this.decode(chunk, at, dropped) : undefined;
    if (dropped) return;
    if (this.proxy.cutting.delete(this.dir)) {
      // Keep the first half of the last packet (of the chunk, when nothing was decoded).
      const size = tail ? Math.min(this.proxy.sizeOf(tail), chunk.length) : chunk.length;
      const keep = chunk.length - size + Math.floor(size / 2);
      this.dispose();
      if (!this.dst.destroyed) this.dst.end(chunk.subarray(0, keep));
      this.abortSource();
      return;
    }
    const delay = this.proxy.delay;
    if (delay <= 0 && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    const last = this.queue[this.queue.length - 1];
    this.queue.push({ due: Math.max(at + delay, last ? last.due : 0), chunk });
    this.schedule();
  }

  /** Taps the chunk; returns its last whole packet. */
  private decode(chunk: Buffer, at: number, dropped: boolean): Packet | Packet5 | undefined {
    let packets: (Packet | Packet5)[];
    try {
      packets = this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch {
      this.decoder = this.proxy.newDecoder();
      return undefined;
    }
    for (const packet of packets) {
      this.proxy.record({ conn: this.conn, at, dir: this.dir, packet, dropped });
    }
    return packets[packets.length - 1];
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, (this.queue[0]?.due ?? 0) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      while (this.queue.length > 0 && (this.queue[0]?.due ?? 0) <= now) {
        const item = this.queue.shift();
        if (item) this.write(item.chunk);
      }
      if (this.ending && this.queue.length === 0 && !this.dst.destroyed) this.dst.end();
      this.schedule();
    }, wait);
  }

  private write(chunk: Buffer): void {
    if (!this.dst.destroyed) this.dst.write(chunk);
  }

  /** The source sent FIN: end the destination once everything queued before it is written. */
  finish(): void {
    // A black hole swallows the FIN too: the other side must find out by itself (keepalive).
    if (this.proxy.blackholed) return;
    this.ending = true;
    if (this.queue.length === 0 && !this.dst.destroyed) this.dst.end();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }
}

class TcpFaultProxy implements FaultProxy<Packet | Packet5> {
  host: string;
  port = 0;
  blackholed = false;
  delay = 0;
  refusing = false;
  /** Directions armed by cutMidPacket(). */
  readonly cutting = new Set<TapDirection>();
  readonly tapping: boolean;
  readonly tap: TapRecord<Packet | Packet5>[] = [];
  readonly brokerTap: TapRecord<Packet | Packet5>[] = [];
  private all: TapRecord<Packet | Packet5>[] = [];
  private listeners = new Set<(rec: TapRecord<Packet | Packet5>, dir: TapDirection) => void>();
  private pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private serial = 0;
  private server: net.Server;

  constructor(private readonly options: FaultProxyOptions) {
    this.host = options.host ?? "127.0.0.1";
    this.tapping = options.tap ?? true;
    this.server = net.createServer((client) => this.accept(client));
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  newDecoder(): Decoder<4 | 5> {
    return new Decoder({ protocolVersion: this.options.protocolVersion ?? 4 });
  }

  /** A tapped packet's size on the wire, as the codec writes it (short forms where they apply). */
  sizeOf(packet: Packet | Packet5): number {
    return this.options.protocolVersion === 5
      ? encode(packet as Packet5, 5).length
      : encode(packet as Packet).length;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 0, this.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (typeof address === "object" && address !== null) this.port = address.port;
  }

  private accept(client: net.Socket): void {
    client.on("error", () => {});
    if (this.refusing) {
      reset(client);
      return;
    }
    const conn = ++this.serial;
    client.setNoDelay(true);
    const upstream = net.connect(this.options.target);
    upstream.setNoDelay(true);
    upstream.on("error", () => {});
    const pair = { client, upstream };
    this.pairs.add(pair);
    const up = new Pipe(this, conn, "up", upstream, () => reset(client));
    const down = new Pipe(this, conn, "down", client, () => reset(upstream));
    // Writes to a connecting socket are buffered by net, so no pause is needed.
    client.on("data", (chunk: Buffer) => up.push(chunk));
    upstream.on("data", (chunk: Buffer) => down.push(chunk));
    // A FIN is forwarded after the bytes queued before it; an abrupt close (error/RST) is
    // propagated at once. The pair is forgotten once both sockets are closed.
    client.once("end", () => up.finish());
    upstream.once("end", () => down.finish());
    const onClose = (other: net.Socket, pipe: Pipe) => (hadError: boolean) => {
      // While black-holed, one side's close is not passed on either (a half-open link).
      if (hadError && !this.blackholed) reset(other);
      if (client.destroyed && upstream.destroyed) {
        this.pairs.delete(pair);
        up.dispose();
        down.dispose();
      } else if (hadError) pipe.dispose();
    };
    client.once("close", onClose(upstream, up));
    upstream.once("close", onClose(client, down));
  }

  record(rec: TapRecord<Packet | Packet5>): void {
    (rec.dir === "up" ? this.tap : this.brokerTap).push(rec);
    this.all.push(rec);
    for (const fn of [...this.listeners]) fn(rec, rec.dir);
  }

  connections(): number {
    return this.pairs.size;
  }

  dropAll(): void {
    for (const { client, upstream } of [...this.pairs]) {
      reset(client);
      reset(upstream);
    }
  }

  blackhole(on: boolean): void {
    this.blackholed = on;
  }

  setDelay(ms: number): void {
    this.delay = Math.max(0, ms);
  }

  refuse(on: boolean): void {
    this.refusing = on;
  }

  cutMidPacket(dir: TapDirection): void {
    this.cutting.add(dir);
  }

  onPacket(fn: (rec: TapRecord<Packet | Packet5>, dir: TapDirection) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  waitForPacket(
    pred: (rec: TapRecord<Packet | Packet5>) => boolean,
    timeoutMs = 5000,
  ): Promise<TapRecord<Packet | Packet5>> {
    const found = this.all.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new TimeoutError(`waitForPacket: no matching packet within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onPacket((rec) => {
        if (!pred(rec)) return;
        clearTimeout(timer);
        off();
        resolve(rec);
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropAll();
    this.listeners.clear();
    await closed;
  }
}

/** Starts a TCP fault-injection proxy in front of `target` on 127.0.0.1. */
export async function startFaultProxy<V extends 4 | 5 = 4>(
  options: FaultProxyOptions & { protocolVersion?: V },
): Promise<FaultProxy<TapPacket<V>>> {
  const proxy = new TcpFaultProxy(options);
  await proxy.listen();
  // The records are of the version the options chose.
  return proxy as unknown as FaultProxy<TapPacket<V>>;
}
