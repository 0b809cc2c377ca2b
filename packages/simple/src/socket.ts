/**
 * TCP and TLS transports over Node's `net` and `tls` sockets.
 */

import * as net from "node:net";
import { isIP } from "node:net";
import * as tls from "node:tls";
import type { Transport, TransportEvents, TransportFactory } from "./transport.js";

/** Where and how to open the socket. `tls` absent means plain TCP. */
export interface SocketOptions {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions;
}

/**
 * A transport factory for TCP, or TLS when `options.tls` is given. TLS verifies the server
 * certificate and sends SNI for host names unless the options say otherwise.
 *
 * @example
 * const factory = socketTransport({ host: "broker.local", port: 8883, tls: { ca } });
 */
export function socketTransport(options: SocketOptions): TransportFactory {
  return (events, signal) =>
    new Promise<Transport>((resolve, reject) => {
      const { host, port } = options;
      const socket: net.Socket = options.tls
        ? tls.connect({
            host,
            port,
            ...(isIP(host) === 0 ? { servername: host } : {}),
            ...options.tls,
          })
        : net.connect({ host, port });
      const ready = options.tls ? "secureConnect" : "connect";
      const abort = (): void =>
        fail(signal.reason instanceof Error ? signal.reason : new Error("connect aborted"));
      const fail = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(options.tls && !signal.aborted ? explainTls(err, options) : err);
      };
      const opened = (): void => {
        cleanup();
        resolve(new SocketTransport(socket, events));
      };
      // Nothing of this scope may outlive the connect: the transport holds only the socket.
      const cleanup = (): void => {
        signal.removeEventListener("abort", abort);
        socket.removeListener("error", fail);
        socket.removeListener(ready, opened);
      };
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });
      socket.once("error", fail);
      socket.once(ready, opened);
    });
}

/** An open socket as a Transport. */
class SocketTransport implements Transport {
  readonly #socket: net.Socket;

  constructor(socket: net.Socket, events: TransportEvents) {
    this.#socket = socket;
    socket.setNoDelay(true);
    // The listeners are shared functions that find the events on the socket: no closures per
    // connection (heap per idle client is a budgeted number).
    (socket as OwnedSocket)[EVENTS] = events;
    socket.on("error", onError);
    // Buffers are Uint8Arrays already; the codec hands out views into them without copying.
    socket.on("data", onData);
    socket.on("drain", onDrain);
    socket.once("close", onClose);
  }

  write(bytes: Uint8Array): boolean {
    return this.#socket.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(graceful?: boolean): void {
    const socket = this.#socket;
    if (!graceful) return void socket.destroy();
    socket.end();
    // A peer that never finishes the close must not hold the socket open.
    setTimeout(() => socket.destroy(), 2000).unref();
  }
}

// Verification failures that mean "no trusted CA signed this chain".
const UNTRUSTED =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED)$/;

/**
 * A TLS connect failure in words a user can act on: which of "no CA given", "wrong CA",
 * "wrong host name" and "not a TLS port" it is. Keeps the original `code` and `cause`.
 */
function explainTls(err: Error, options: SocketOptions): Error {
  const code = (err as { code?: string }).code ?? "";
  const { ca, secureContext } = options.tls!;
  const why = UNTRUSTED.test(code)
    ? ca || secureContext
      ? "certificate not signed by the CA you configured"
      : "certificate not signed by a CA Node trusts; pass its CA"
    : code === "ERR_TLS_CERT_ALTNAME_INVALID"
      ? err.message
      : code === "ECONNRESET" || code === "EPIPE"
        ? "closed during the handshake; is it a TLS port?"
        : "";
  if (!why) return err;
  const explained = new Error(`TLS to ${options.host}:${options.port}: ${why} (${code})`, {
    cause: err,
  });
  return Object.assign(explained, { code });
}

const EVENTS = Symbol("umqtt.events");
const LAST_ERROR = Symbol("umqtt.lastError");
interface OwnedSocket extends net.Socket {
  [EVENTS]: TransportEvents;
  [LAST_ERROR]?: Error;
}

function onError(this: OwnedSocket, err: Error): void {
  this[LAST_ERROR] = err;
}
function onData(this: OwnedSocket, chunk: Uint8Array): void {
  this[EVENTS].data(chunk);
}
function onDrain(this: OwnedSocket): void {
  this[EVENTS].drain();
}
function onClose(this: OwnedSocket): void {
  this[EVENTS].closed(this[LAST_ERROR]);
}
