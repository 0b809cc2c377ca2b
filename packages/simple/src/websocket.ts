/**
 * Design: MQTT over a WHATWG WebSocket (a browser's, Node 22+'s, Bun's, Deno's, or the `ws`
 * package's). Binary frames carry a byte stream: the client's Decoder already accepts any
 * chunking, so a frame may hold part of a packet or several. A text frame breaks the
 * protocol [MQTT-6.0.0-1] and closes the connection.
 *
 * Backpressure: a WebSocket has no "drain" event, so past HIGH_WATER buffered bytes write()
 * says "full" and a timer watches `bufferedAmount` until it falls. Pausing: the `ws` package's
 * socket has pause()/resume() (TCP flow control reaches the broker); a browser's has not, so
 * there pause() does nothing, data keeps arriving and the client's inbox hard cap applies.
 */
import { ConnectionError, ErrorCode } from "./errors.js";
import type { Transport, TransportEvents, TransportFactory } from "./transport.js";

/** The WHATWG WebSocket surface this transport uses (plus the `ws` package's extras). */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: WebSocketListener): void;
  removeEventListener(type: string, listener: WebSocketListener): void;
  /** `ws` package only: stop reading the socket. */
  pause?(): void;
  resume?(): void;
  /** `ws` package only: drop the connection at once. */
  terminate?(): void;
}

/** The fields of the open, message, error and close events this transport reads. */
export interface WebSocketEvent {
  readonly type: string;
  /** message */
  readonly data?: unknown;
  /** close */
  readonly code?: number;
  readonly reason?: string;
  /** error (the `ws` package's error events carry the cause) */
  readonly error?: unknown;
  readonly message?: string;
}

/** An event listener object (one per socket, not a closure per event type). */
export interface WebSocketListener {
  handleEvent(event: WebSocketEvent): void;
}

/** A WebSocket constructor: the global one, or the `ws` package's (which takes options). */
export type WebSocketConstructor = new (
  url: string,
  protocols: string | string[],
  // biome-ignore lint/suspicious/noExplicitAny: the `ws` package's options, unknown to browsers
  options?: any,
) => WebSocketLike;

/** Where and how to open the WebSocket. */
export interface WebSocketOptions {
  url: string;
  /** The constructor; the runtime's global WebSocket by default. */
  webSocket: WebSocketConstructor;
  /** Options passed as the constructor's third argument (the `ws` package's: TLS and more). */
  options?: object;
}

/** Past this many buffered bytes, write() returns false (and `drain` follows). */
const HIGH_WATER = 256 * 1024;
/** How often a full socket is polled for `drain`, in ms. */
const POLL = 2;

/**
 * A transport factory for MQTT over WebSocket (subprotocol `mqtt`, binary frames).
 *
 * @example
 * import { WebSocket } from "ws"; // Node 20; elsewhere the global WebSocket
 * const factory = webSocketTransport({ url: "wss://broker.local/mqtt", webSocket: WebSocket });
 */
export function webSocketTransport(options: WebSocketOptions): TransportFactory {
  return (events, signal) =>
    new Promise<Transport>((resolve, reject) => {
      const socket = new options.webSocket(options.url, "mqtt", options.options);
      socket.binaryType = "arraybuffer";
      const opening = {
        handleEvent(event: WebSocketEvent): void {
          cleanup();
          if (event.type === "open") return resolve(new WebSocketTransport(socket, events));
          // An error while opening fails the open at once: Node 22's global WebSocket sends no
          // close after a TLS failure (it stays CONNECTING), so waiting for one would hang.
          if (event.type === "error") drop(socket);
          reject(
            event.type === "error"
              ? errorOf(event, `WebSocket to ${options.url} failed`)
              : closeError(event, options.url),
          );
        },
      };
      const abort = (): void => {
        cleanup();
        drop(socket);
        reject(signal.reason instanceof Error ? signal.reason : new Error("connect aborted"));
      };
      const cleanup = (): void => {
        signal.removeEventListener("abort", abort);
        for (const type of OPENING) socket.removeEventListener(type, opening);
      };
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });
      for (const type of OPENING) socket.addEventListener(type, opening);
    });
}

const OPENING = ["open", "error", "close"];
const OPEN_EVENTS = ["message", "error", "close"];

/** An open WebSocket as a Transport; it is its own event listener (no closures). */
class WebSocketTransport implements Transport {
  readonly #socket: WebSocketLike;
  readonly #events: TransportEvents;
  #error: Error | undefined;
  #done = false;
  #poll: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: WebSocketLike, events: TransportEvents) {
    this.#socket = socket;
    this.#events = events;
    for (const type of OPEN_EVENTS) socket.addEventListener(type, this);
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (this.#done) return true;
    socket.send(bytes);
    if (socket.bufferedAmount < HIGH_WATER) return true;
    this.#poll ??= setTimeout(watchDrain, POLL, this);
    return false;
  }

  /** @internal the drain poll. */
  checkDrain(): void {
    this.#poll = undefined;
    if (this.#done) return;
    if (this.#socket.bufferedAmount >= HIGH_WATER) {
      this.#poll = setTimeout(watchDrain, POLL, this);
      return;
    }
    this.#events.drain();
  }

  pause(): void {
    this.#socket.pause?.();
  }

  resume(): void {
    this.#socket.resume?.();
  }

  close(graceful?: boolean): void {
    const socket = this.#socket;
    if (!graceful) return drop(socket);
    // Buffered frames go out before the close frame.
    socket.close(1000);
    // A peer that never answers the close must not hold the socket open.
    const timer = setTimeout(drop, 2000, socket);
    (timer as { unref?: () => void }).unref?.();
  }

  /** @internal WebSocket events. */
  handleEvent(event: WebSocketEvent): void {
    if (this.#done) return;
    if (event.type === "message") {
      const data = event.data;
      if (data instanceof ArrayBuffer) return this.#events.data(new Uint8Array(data));
      if (ArrayBuffer.isView(data)) {
        return this.#events.data(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      return this.#end(
        new ConnectionError(
          ErrorCode.PROTOCOL,
          "protocol violation: a WebSocket text frame from the broker [MQTT-6.0.0-1]",
        ),
        true,
      );
    }
    if (event.type === "error") {
      this.#error ??= errorOf(event, "WebSocket error");
      return;
    }
    this.#end(this.#error ?? (event.code === 1000 ? undefined : closeError(event, "")), false);
  }

  #end(cause: Error | undefined, drop_: boolean): void {
    this.#done = true;
    clearTimeout(this.#poll);
    for (const type of OPEN_EVENTS) this.#socket.removeEventListener(type, this);
    if (drop_) drop(this.#socket);
    this.#events.closed(cause);
  }
}

const IGNORE: WebSocketListener = { handleEvent() {} };
const watchDrain = (transport: WebSocketTransport): void => transport.checkDrain();

/** Drops the connection without the closing handshake where the runtime can (`ws`). */
function drop(socket: WebSocketLike): void {
  // ws reports a terminate() while connecting as an error event; unheard, it would throw.
  socket.addEventListener("error", IGNORE);
  if (socket.terminate) socket.terminate();
  else if (socket.readyState < 2) socket.close();
}

/** The `ws` package's error events carry the real error; a browser's carry nothing. */
function errorOf(event: WebSocketEvent, fallback: string): Error {
  const { error, message } = event;
  return error instanceof Error ? error : new Error(message || fallback);
}

function closeError(event: WebSocketEvent, url: string): Error {
  const to = url ? ` to ${url}` : "";
  const reason = event.reason ? `: ${event.reason}` : "";
  return new Error(`WebSocket${to} closed with code ${event.code}${reason}`);
}
