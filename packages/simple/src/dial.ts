/**
 * Design: one `connect()` attempt — the transport opened and the handshake answered within
 * `ms`, abortable by `disconnect()` through `abort`. A timeout or an abort closes the connection
 * with its reason, and that reason is what the attempt rejects with (a broker's refusal excepted:
 * it says more). Nothing of the attempt stays reachable from the connection afterwards.
 */
import type { Connection } from "./connection.js";
import { ConnectionError, ErrorCode, MQTTException } from "./errors.js";

/**
 * Runs `open` then `handshake` within `ms`.
 * @example
 * const sessionPresent = await dial(new AbortController(), 30_000, openTransport, sendConnect);
 */
export async function dial<T>(
  abort: AbortController,
  ms: number,
  open: (signal: AbortSignal) => Promise<Connection>,
  handshake: (conn: Connection) => Promise<T>,
): Promise<T> {
  const timer = setTimeout(
    () =>
      abort.abort(
        new ConnectionError(
          ErrorCode.CONNECT_TIMEOUT,
          `no CONNACK within ${ms} ms (connect timeout)`,
        ),
      ),
    ms,
  );
  let onAbort: (() => void) | undefined;
  try {
    const conn = await open(abort.signal);
    onAbort = () => conn.close(abort.signal.reason);
    abort.signal.addEventListener("abort", onAbort, { once: true });
    return await handshake(conn);
  } catch (err) {
    if (abort.signal.aborted && err !== abort.signal.reason && !(err instanceof MQTTException)) {
      throw abort.signal.reason;
    }
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) abort.signal.removeEventListener("abort", onAbort);
  }
}

/** Why a connection was closed by a later connect(). */
export function superseded(): ConnectionError {
  return new ConnectionError(
    ErrorCode.CONNECTION_CLOSED,
    "a newer connect() superseded this connection",
  );
}
