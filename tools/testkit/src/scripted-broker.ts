/**
 * Design: a scripted MQTT broker on the in-memory transport, for unit tests of the clients.
 * Every connection the client opens becomes a {@link ScriptedLink}: the client's bytes are
 * framed and parsed by testkit's own reader (frames.ts, not @umqtt/codec) into `packets`, a
 * test awaits the next one by an event (`next`, `nextOf`; no polling, a timeout only as a
 * safety net) and answers with built packets or raw bytes. Faults are explicit: drop the link,
 * block the client's writes (backpressure), stall what the broker sends, refuse or hold new
 * connections, withhold automatic acks. By default nothing is answered unless the test says so;
 * `autoAnswer` makes every link behave as a well-behaved broker that the test can still watch.
 */
import { concat } from "./bytes.ts";
import { withTimeout } from "./deferred.ts";
import {
  type Bytes,
  connack,
  FrameReader,
  type ProtocolLevel,
  parsePacket,
  pingresp,
  puback,
  pubcomp,
  publish,
  pubrec,
  pubrel,
  suback,
  unsuback,
  type WirePacket,
  type WirePacketOf,
} from "./frames.ts";
import { type MemoryConnection, MemoryServer, type TransportFactory } from "./memory-transport.ts";

/** The answers `autoAnswer` sends, each of which a link can withhold. */
export type AutoAnswer =
  | "connack"
  | "puback"
  | "pubrec"
  | "pubrel"
  | "pubcomp"
  | "suback"
  | "unsuback"
  | "pingresp";

export interface ScriptedBrokerOptions {
  /**
   * Answer as a well-behaved MQTT 3.1.1 broker: CONNACK 0 to CONNECT, PUBACK / PUBREC to a
   * QoS 1 / 2 PUBLISH, PUBCOMP to PUBREL, PUBREL to PUBREC, SUBACK granting the requested QoS,
   * UNSUBACK, PINGRESP. Default false: the test answers every packet itself.
   */
  autoAnswer?: boolean;
  /** Safety net for every wait (`next`, `link`). Default 2000 ms. */
  timeoutMs?: number;
}

/** The client wrote a packet of another type than the test expected next. */
export class UnexpectedPacketError extends Error {
  override name = "UnexpectedPacketError";
  readonly code = "EUNEXPECTEDPACKET";
  constructor(
    message: string,
    readonly packet: WirePacket,
  ) {
    super(message);
  }
}

type PacketName = WirePacket["type"];

/** The broker's end of one connection. */
export class ScriptedLink {
  /** Every packet the client wrote on this link, in order. */
  readonly packets: WirePacket[] = [];
  /** The protocol level, from the client's CONNECT (4 until then). */
  level: ProtocolLevel = 4;
  /** Set when the client's bytes could not be framed or parsed; waits then reject with it. */
  error: unknown;
  readonly #reader = new FrameReader();
  readonly #waiters = new Set<() => void>();
  readonly #withheld = new Set<AutoAnswer>();
  #cursor = 0;
  #held: Uint8Array[] | undefined;

  constructor(
    /** The memory connection underneath: its `written` chunks, `paused`, `closed`. */
    readonly conn: MemoryConnection,
    /** 0-based: the n-th connection the client opened on this broker. */
    readonly index: number,
    private readonly options: Required<ScriptedBrokerOptions>,
  ) {
    for (const chunk of conn.written) this.#feed(chunk);
    conn.onWrite((chunk) => this.#feed(chunk));
  }

  // ---- what the client wrote ----

  /** Packets written and not yet taken with `next`/`nextOf`/`takeAll`. */
  get unread(): WirePacket[] {
    return this.packets.slice(this.#cursor);
  }

  /** Takes every packet written and not yet taken. */
  takeAll(): WirePacket[] {
    const taken = this.packets.slice(this.#cursor);
    this.#cursor = this.packets.length;
    return taken;
  }

  /** Every packet of `type` written so far, taken or not. */
  all<T extends PacketName>(type: T): WirePacketOf<T>[] {
    return this.packets.filter((p): p is WirePacketOf<T> => p.type === type);
  }

  /** Total bytes the client wrote on this link. */
  get bytesWritten(): number {
    return this.conn.written.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** The client's bytes on this link, concatenated, from byte `from` (a `bytesWritten` mark). */
  bytes(from = 0, to?: number): Uint8Array {
    return concat(this.conn.written).subarray(from, to);
  }

  /**
   * The next packet the client writes (or wrote and nobody took yet). With a type, a packet
   * of another type fails with {@link UnexpectedPacketError}.
   *
   * @example
   * const sub = await link.next("subscribe");
   * link.suback(sub.pid, 1);
   */
  next(type?: undefined, timeoutMs?: number): Promise<WirePacket>;
  next<T extends PacketName>(type: T, timeoutMs?: number): Promise<WirePacketOf<T>>;
  async next(type?: PacketName, timeoutMs = this.options.timeoutMs): Promise<WirePacket> {
    const what = `the client to write ${type ?? "a packet"} on link ${this.index}`;
    const packet = await this.#take(() => true, what, timeoutMs);
    if (type && packet.type !== type)
      throw new UnexpectedPacketError(
        `expected ${type} on link ${this.index}, got ${packet.type}`,
        packet,
      );
    return packet;
  }

  /**
   * The next packet of `type`, passing over packets of other types (they stay in `packets`).
   *
   * @example
   * const ack = await link.nextOf("puback"); // whatever PUBLISHes came first
   */
  nextOf<T extends PacketName>(
    type: T,
    timeoutMs = this.options.timeoutMs,
  ): Promise<WirePacketOf<T>> {
    const what = `the client to write ${type} on link ${this.index}`;
    return this.#take((p) => p.type === type, what, timeoutMs) as Promise<WirePacketOf<T>>;
  }

  // ---- what the broker sends ----

  /** Sends raw bytes to the client (held while the link is stalled). */
  send(bytes: Uint8Array): void {
    if (this.#held) this.#held.push(bytes);
    else this.conn.send(bytes);
  }

  /** Takes the CONNECT and answers it; returns the CONNECT. */
  async accept(sessionPresent = false, returnCode = 0): Promise<WirePacketOf<"connect">> {
    const connect = await this.next("connect");
    this.connack(sessionPresent, returnCode);
    return connect;
  }

  /** CONNACK: `connack(true)` → 20 02 01 00. */
  connack(sessionPresent = false, returnCode = 0): void {
    this.send(connack(sessionPresent, returnCode, this.level));
  }

  /**
   * A PUBLISH to the client.
   *
   * @example
   * link.publish("a/b", "m", 1, 7, { retain: true }); // 33 … pid 7
   */
  publish(
    topic: Bytes,
    payload: Bytes,
    qos: 0 | 1 | 2 = 0,
    pid = 1,
    flags: { retain?: boolean; dup?: boolean } = {},
  ): void {
    this.send(publish(topic, payload, { qos, pid, ...flags, level: this.level }));
  }

  puback(pid: number): void {
    this.send(puback(pid));
  }

  pubrec(pid: number): void {
    this.send(pubrec(pid));
  }

  pubrel(pid: number): void {
    this.send(pubrel(pid));
  }

  pubcomp(pid: number): void {
    this.send(pubcomp(pid));
  }

  /** SUBACK with one code per filter: granted QoS, or 0x80 to refuse. */
  suback(pid: number, ...codes: number[]): void {
    this.send(suback(pid, codes, this.level));
  }

  unsuback(pid: number): void {
    this.send(unsuback(pid, this.level));
  }

  pingresp(): void {
    this.send(pingresp());
  }

  // ---- faults ----

  /** Drops the link, as a reset socket would: the client sees its transport close. */
  drop(cause: Error = new Error("connection reset by the test")): void {
    this.conn.close(cause);
  }

  /** The client's writes report "full" until {@link unblock} (write backpressure). */
  block(): void {
    this.conn.block();
  }

  unblock(): void {
    this.conn.unblock();
  }

  /** Holds everything the broker sends (answers included) until {@link unstall}: a silent broker. */
  stall(): void {
    this.#held ??= [];
  }

  /** Sends what the stall held, in order. */
  unstall(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const bytes of held) this.conn.send(bytes);
  }

  /** With `autoAnswer`: stops (or, with `on = false`, resumes) sending this kind of answer. */
  withhold(answer: AutoAnswer, on = true): void {
    if (on) this.#withheld.add(answer);
    else this.#withheld.delete(answer);
  }

  /** True once the link is closed, by either side. */
  get closed(): boolean {
    return this.conn.closed;
  }

  // ---- internals ----

  #take(match: (p: WirePacket) => boolean, what: string, ms: number): Promise<WirePacket> {
    const scan = (): WirePacket | undefined => {
      while (this.#cursor < this.packets.length) {
        const p = this.packets[this.#cursor++]!;
        if (match(p)) return p;
      }
      if (this.error) throw this.error;
      return undefined;
    };
    try {
      const now = scan();
      if (now) return Promise.resolve(now);
    } catch (err) {
      return Promise.reject(err);
    }
    let check = (): void => {};
    const found = new Promise<WirePacket>((resolve, reject) => {
      check = () => {
        try {
          const p = scan();
          if (p) resolve(p);
        } catch (err) {
          reject(err);
        }
      };
      this.#waiters.add(check);
    });
    // A wait that timed out must not take a later packet away from the next wait.
    return withTimeout(found, ms, what).finally(() => this.#waiters.delete(check));
  }

  #feed(chunk: Uint8Array): void {
    if (this.error) return;
    try {
      for (const frame of this.#reader.push(chunk)) {
        const packet = parsePacket(frame, this.level);
        if (packet.type === "connect" && packet.level === 5) this.level = 5;
        this.packets.push(packet);
        if (this.options.autoAnswer) this.#answer(packet);
      }
    } catch (err) {
      this.error = err;
    }
    for (const wake of [...this.#waiters]) wake();
  }

  #answer(p: WirePacket): void {
    const may = (answer: AutoAnswer): boolean => !this.#withheld.has(answer);
    switch (p.type) {
      case "connect":
        if (may("connack")) this.connack();
        break;
      case "publish":
        if (p.qos === 1 && may("puback")) this.puback(p.pid!);
        if (p.qos === 2 && may("pubrec")) this.pubrec(p.pid!);
        break;
      case "pubrec":
        if (may("pubrel")) this.pubrel(p.pid);
        break;
      case "pubrel":
        if (may("pubcomp")) this.pubcomp(p.pid);
        break;
      case "subscribe":
        if (may("suback")) this.suback(p.pid, ...p.filters.map((f) => f.qos & 3));
        break;
      case "unsubscribe":
        if (may("unsuback")) this.unsuback(p.pid);
        break;
      case "pingreq":
        if (may("pingresp")) this.pingresp();
        break;
    }
  }
}

/**
 * A scripted broker: pass its `factory` as the client's `transport` option; every connection
 * the client opens becomes a {@link ScriptedLink} in `links`.
 *
 * @example
 * const broker = new ScriptedBroker();
 * const client = new MQTTClient("id", "memory", { keepalive: 0, transport: broker.factory });
 * const up = client.connect();
 * const link = await broker.link(0);
 * await link.accept(); // CONNECT taken, CONNACK 0 sent
 * await up;
 */
export class ScriptedBroker {
  /** Every link opened, in order. */
  readonly links: ScriptedLink[] = [];
  /** Connection attempts, refused ones included. */
  attempts = 0;
  /** While set, opening a connection waits for it (a slow TCP handshake). */
  hold: Promise<void> | undefined;
  readonly #server = new MemoryServer();
  readonly #waiters = new Set<() => void>();
  readonly #options: Required<ScriptedBrokerOptions>;

  constructor(options: ScriptedBrokerOptions = {}) {
    this.#options = { autoAnswer: false, timeoutMs: 2000, ...options };
  }

  /** Pass as the client's `transport` option. */
  readonly factory: TransportFactory = async (events, signal) => {
    this.attempts++;
    if (this.hold) await this.hold;
    const transport = await this.#server.factory(events, signal);
    const conn = this.#server.connections[this.#server.connections.length - 1]!;
    this.links.push(new ScriptedLink(conn, this.links.length, this.#options));
    for (const wake of [...this.#waiters]) wake();
    return transport;
  };

  /** When set, opening a connection fails with this error. */
  get refuse(): Error | undefined {
    return this.#server.refuse;
  }

  set refuse(err: Error | undefined) {
    this.#server.refuse = err;
  }

  /** While true, opening a connection fails as ECONNREFUSED would (the broker is down). */
  get down(): boolean {
    return this.#server.refuse !== undefined;
  }

  set down(on: boolean) {
    this.#server.refuse = on ? new Error("connect ECONNREFUSED (scripted broker down)") : undefined;
  }

  /** The `index`-th link (0-based), once the client has opened it. */
  link(index: number, timeoutMs = this.#options.timeoutMs): Promise<ScriptedLink> {
    if (this.links.length > index) return Promise.resolve(this.links[index]!);
    let wake = (): void => {};
    const opened = new Promise<ScriptedLink>((resolve) => {
      wake = () => {
        if (this.links.length > index) resolve(this.links[index]!);
      };
      this.#waiters.add(wake);
    });
    return withTimeout(opened, timeoutMs, `link #${index}`).finally(() =>
      this.#waiters.delete(wake),
    );
  }

  /** The next link opened from now on (call it before the client connects). */
  nextLink(timeoutMs?: number): Promise<ScriptedLink> {
    return this.link(this.links.length, timeoutMs);
  }

  /** The latest link (throws if none was opened). */
  get last(): ScriptedLink {
    const link = this.links[this.links.length - 1];
    if (!link) throw new Error("ScriptedBroker.last: no link opened yet");
    return link;
  }
}
