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
      let lastError: Error | undefined;
      let settled = false;

      const abort = (): void => {
        socket.destroy();
        fail(signal.reason instanceof Error ? signal.reason : new Error("connect aborted"));
      };
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", abort);
        socket.destroy();
        reject(err);
      };
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });

      socket.once("error", fail);
      socket.once(ready, () => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", abort);
        socket.removeListener("error", fail);
        socket.setNoDelay(true);
        socket.on("error", (err) => {
          lastError = err;
        });
        wire(socket, events);
        socket.once("close", () => events.close(lastError));
        resolve({
          write: (bytes) => socket.write(bytes),
          pause: () => socket.pause(),
          resume: () => socket.resume(),
          close: (graceful) => {
            if (!graceful) return void socket.destroy();
            socket.end();
            // A peer that never finishes the close must not hold the socket open.
            setTimeout(() => socket.destroy(), 2000).unref();
          },
        });
      });
    });
}

function wire(socket: net.Socket, events: TransportEvents): void {
  // Buffers are Uint8Arrays already; the codec hands out views into them without copying.
  socket.on("data", (chunk: Uint8Array) => events.data(chunk));
  socket.on("drain", () => events.drain());
}
