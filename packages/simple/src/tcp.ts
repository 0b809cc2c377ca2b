/**
 * The TCP/TLS transport where the runtime has one. `#tcp` (package.json `imports`) is
 * socket.ts under the `node` condition (Node, Bun, Deno) and no-tcp.ts elsewhere (browsers).
 */
import * as tcp from "#tcp";
import type { SocketOptions } from "./socket.js";
import type { TransportFactory } from "./transport.js";
import { fail } from "./validate.js";

const open = tcp.socketTransport as ((options: SocketOptions) => TransportFactory) | undefined;

/** Whether this runtime has TCP (Node, Bun, Deno; not a browser). */
export const hasTcp: boolean = open !== undefined;

/**
 * A transport factory for TCP, or TLS when `options.tls` is given. TLS verifies the server
 * certificate and sends SNI for host names unless the options say otherwise. Throws an
 * InvalidArgumentError where there is no TCP (a browser): use ws:// or wss:// there.
 *
 * @example
 * const factory = socketTransport({ host: "broker.local", port: 8883, tls: { ca } });
 */
export function socketTransport(options: SocketOptions): TransportFactory {
  if (!open) return fail("socketTransport()", "TCP needs Node; use ws:// or wss://");
  return open(options);
}
