/**
 * Design: one network connection — a transport, a streaming decoder, coalesced writes and the
 * keepalive timer. It knows packets as bytes and decoded objects but nothing of the session:
 * every decoded packet goes to `onPacket`, the end goes once to `onClose`.
 *
 * Writes: packets are appended to an outbound list and written together on the next
 * `setImmediate` (or at once past FLUSH_AT bytes), so a burst of publishes costs one syscall.
 * When the transport says "full", ordered data (publishes) waits in a backlog until `drain`,
 * which bounds memory and slows the publisher down to the network's pace.
 */
import { Decoder, type Packet, type Packet5, PINGREQ } from "@umqtt/codec";
import { ConnectionError, ErrorCode, MqttClientError } from "./errors.js";
import { Keepalive, type KeepaliveHooks } from "./keepalive.js";
import { macrotask } from "./macrotask.js";
import type { Transport, TransportEvents, TransportFactory } from "./transport.js";

const FLUSH_AT = 64 * 1024;

/** What a connection reports to its owner; each event names the connection it came from. */
export interface ConnectionHandlers {
  packetRead(packet: Packet | Packet5, from: Connection): void;
  connectionClosed(err: MqttClientError, from: Connection): void;
  /** Whether a paused reader may read again to look for a PINGRESP (not past a memory cap). */
  canProbe(): boolean;
}

export interface ConnectionOptions {
  maxPacketSize?: number;
  /** 4 (MQTT 3.1.1, default) or 5. */
  protocolVersion?: 4 | 5;
  /** Keepalive in milliseconds; 0 turns it off. */
  keepalive: number;
}

export class Connection implements TransportEvents, KeepaliveHooks {
  #transport: Transport | undefined;
  readonly #decoder: Decoder<4 | 5>;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #scheduled = false;
  #backlog: Backlogged[] = [];
  #full = false;
  #keepalive: Keepalive;
  #pausedByOwner = false;
  /** Set once the connection is over; the reason every later operation gets. */
  closedBy: MqttClientError | undefined;
  /** (MQTT 5) Nothing read yet: the first bytes may be a 3.1.1 server's refusal. */
  #greeting: boolean;

  readonly #handlers: ConnectionHandlers;

  private constructor(handlers: ConnectionHandlers, options: ConnectionOptions) {
    this.#handlers = handlers;
    this.#greeting = options.protocolVersion === 5;
    this.#decoder = new Decoder({
      maxPacketSize: options.maxPacketSize,
      protocolVersion: options.protocolVersion ?? 4,
    });
    // The connection is its keepalive's hooks and its transport's events: no closures.
    this.#keepalive = new Keepalive(options.keepalive, this);
  }

  /** @internal keepalive: send a PINGREQ. */
  ping(): void {
    this.send(PINGREQ);
  }

  /** @internal keepalive: the PINGRESP did not come. */
  dead(): void {
    this.close(deadLink(this.#keepalive.interval / 2));
  }

  /** @internal keepalive: the reader is paused by the application's pace. */
  readerPaused(): boolean {
    return this.#pausedByOwner;
  }

  /**
   * @internal keepalive: resume a paused reader for the PINGRESP, unless the owner forbids it.
   * Through `resume()`, so the owner's next `pause()` stops the transport again.
   */
  probe(): boolean {
    const ok = this.#handlers.canProbe();
    if (ok) this.resume();
    return ok;
  }

  /** @internal transport: the stream is gone. */
  closed(cause?: Error): void {
    // A transport that found a protocol violation (a WebSocket text frame) says so itself.
    if (cause instanceof MqttClientError) return this.close(cause);
    this.close(
      new ConnectionError(
        ErrorCode.CONNECTION_CLOSED,
        cause ? `connection closed: ${describeCause(cause)}` : "connection closed by the peer",
        { cause },
      ),
    );
  }

  /** Opens the transport. Rejects with a ConnectionError when it cannot be opened. */
  static async open(
    factory: TransportFactory,
    handlers: ConnectionHandlers,
    options: ConnectionOptions,
    signal: AbortSignal,
  ): Promise<Connection> {
    const connection = new Connection(handlers, options);
    try {
      connection.#transport = await abortable(factory(connection, signal), signal);
    } catch (err) {
      // Closed from the start: a transport that opens after an abort is closed unheard.
      connection.closedBy =
        err instanceof ConnectionError
          ? err
          : new ConnectionError(
              ErrorCode.CONNECTION_CLOSED,
              `cannot connect: ${err instanceof Error ? describeCause(err) : String(err)}`,
              { cause: err },
            );
      throw connection.closedBy;
    }
    if (connection.closedBy) throw connection.closedBy;
    return connection;
  }

  get open(): boolean {
    return this.closedBy === undefined;
  }

  /** Starts keepalive (after CONNACK: before it, the connect timeout guards the link). */
  startKeepalive(ms?: number): void {
    // A server keepalive (MQTT 5 CONNACK) replaces the one asked for.
    if (ms !== undefined) this.#keepalive = new Keepalive(ms, this);
    this.#keepalive.start();
  }

  /** Writes a control packet now, ahead of any publish backlog (acks never wait). */
  send(bytes: Uint8Array): void {
    if (this.closedBy) return;
    this.#append(bytes);
  }

  /**
   * Writes ordered data (a PUBLISH), behind any backlog. Returns undefined when it went
   * straight to the socket; while the socket is full it waits in the backlog, and with
   * `track` the returned promise settles when THIS packet is written (or the connection
   * closes first: then it was never written, so re-sending it cannot duplicate it).
   */
  enqueue(bytes: Uint8Array, track: boolean): Promise<void> | undefined {
    if (this.closedBy) return track ? Promise.reject(this.closedBy) : undefined;
    if (this.#full || this.#backlog.length > 0) {
      if (!track) return void this.#backlog.push({ bytes, waiter: undefined });
      return new Promise((resolve, reject) => {
        this.#backlog.push({ bytes, waiter: { resolve, reject } });
      });
    }
    this.#append(bytes);
    return undefined;
  }

  /** Stops reading (the application is behind): TCP flow control slows the broker down. */
  pause(): void {
    if (this.#pausedByOwner) return;
    this.#pausedByOwner = true;
    this.#transport?.pause();
  }

  resume(): void {
    if (!this.#pausedByOwner) return;
    this.#pausedByOwner = false;
    this.#transport?.resume();
  }

  /** Writes what is pending now (used before DISCONNECT closes the socket). */
  flush(): void {
    if (this.#outBytes === 0 || !this.#transport || this.closedBy) return;
    const out = this.#out;
    const bytes = out.length === 1 ? out[0]! : concat(out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    if (!this.#transport.write(bytes)) this.#full = true;
    this.#keepalive.sent();
  }

  /** Ends the connection once; everything waiting on it learns why. */
  close(err: MqttClientError, graceful = false): void {
    if (this.closedBy) return;
    if (graceful) this.flush();
    this.closedBy = err;
    this.#keepalive.stop();
    this.#out = [];
    const unsent = this.#backlog;
    this.#backlog = [];
    this.#transport?.close(graceful);
    for (const entry of unsent) entry.waiter?.reject(err);
    this.#handlers.connectionClosed(err, this);
  }

  #append(bytes: Uint8Array): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    if (this.#outBytes >= FLUSH_AT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      macrotask(flushSoon, this);
    }
  }

  /** @internal the scheduled flush of what this turn of the event loop wrote. */
  flushScheduled(): void {
    this.#scheduled = false;
    this.flush();
  }

  /** @internal transport: writable again. */
  drain(): void {
    this.#full = false;
    let moved = 0;
    while (!this.#full && moved < this.#backlog.length) {
      const { bytes, waiter } = this.#backlog[moved++]!;
      this.#out.push(bytes);
      this.#outBytes += bytes.length;
      if (this.#outBytes >= FLUSH_AT) this.flush();
      waiter?.resolve();
    }
    this.#backlog.splice(0, moved);
    if (!this.#full) this.flush();
  }

  /** @internal transport: bytes arrived. */
  data(chunk: Uint8Array): void {
    if (this.closedBy) return;
    // Data while paused: this transport cannot pause (a browser WebSocket).
    const unpausable = this.#pausedByOwner;
    this.#keepalive.received();
    if (this.#greeting) {
      this.#greeting = false;
      // A server without MQTT 5 answers with the 3.1.1 CONNACK `20 02 00 rc` (3.1.1's
      // [MQTT-3.1.2-2]), which MQTT 5 cannot frame: its CONNACK has a property block.
      const rc = chunk[3] ?? 0;
      if (chunk[0] === 0x20 && chunk[1] === 2 && chunk[2] === 0 && rc >= 1 && rc <= 5) {
        return this.#handlers.packetRead(
          { type: "connack", sessionPresent: false, returnCode: rc },
          this,
        );
      }
    }
    let packets: (Packet | Packet5)[];
    try {
      packets = this.#decoder.push(chunk);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.close(
        new ConnectionError(ErrorCode.PROTOCOL, `malformed packet from the broker: ${message}`, {
          cause: err,
        }),
      );
      return;
    }
    for (const packet of packets) {
      if (this.closedBy) return;
      this.#handlers.packetRead(packet, this);
    }
    // Then only the inbox's hard cap bounds memory.
    if (unpausable && !this.closedBy && !this.#handlers.canProbe()) {
      this.close(
        new ConnectionError(
          ErrorCode.INBOX_OVERFLOW,
          "inbox over its hard cap: the transport cannot pause (a browser WebSocket); take messages faster",
        ),
      );
    }
  }
}

/** The error of a link found dead: no PINGRESP within `ms` of a PINGREQ. */
export function deadLink(ms: number): ConnectionError {
  return new ConnectionError(
    ErrorCode.KEEPALIVE_TIMEOUT,
    `no PINGRESP within ${ms} ms of a PINGREQ: the link is dead`,
  );
}

/**
 * A socket or TLS error as one readable line with its code, e.g. "unable to verify the first
 * certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)"; OpenSSL's long error strings shrink to their
 * reason ("tlsv13 alert certificate required (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)").
 */
function describeCause(err: Error): string {
  const code = (err as { code?: unknown }).code;
  const ssl = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(err.message);
  const text = ssl ? ssl[1]! : err.message;
  return typeof code === "string" && !text.includes(code) ? `${text} (${code})` : text;
}

/** Settles with the transport, or with the abort reason as soon as `signal` aborts (a late transport is closed). */
function abortable(opening: Promise<Transport>, signal: AbortSignal): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    opening.then(
      (transport) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) transport.close();
        else resolve(transport);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** A PUBLISH waiting for `drain`, with whoever waits for it to be written. */
interface Backlogged {
  bytes: Uint8Array;
  waiter: { resolve(): void; reject(err: Error): void } | undefined;
}

const flushSoon = (connection: Connection): void => connection.flushScheduled();

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
