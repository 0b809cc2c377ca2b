/**
 * The transport seam: a byte stream the client writes to and is told about. TCP, TLS and the
 * in-memory pair implement it; a WebSocket transport only has to do the same.
 */

/** What the transport tells its owner. */
export interface TransportEvents {
  /** Bytes arrived. The chunk is the owner's to keep (views into it are handed to the user). */
  data(chunk: Uint8Array): void;
  /** A write that returned `false` has been flushed; writing may go on. */
  drain(): void;
  /** The stream is gone. Called exactly once, with the cause if there was one. */
  closed(cause?: Error): void;
}

/** An open byte stream. */
export interface Transport {
  /** Queues bytes; `false` means "buffer full, wait for `drain`" (the bytes are still queued). */
  write(bytes: Uint8Array): boolean;
  /** Stop delivering `data` (flow control: the peer is slowed down by TCP). */
  pause(): void;
  /** Deliver `data` again. */
  resume(): void;
  /**
   * Close; `close` follows. Idempotent. `graceful` first flushes what was written (used after
   * DISCONNECT); otherwise the stream is dropped at once.
   */
  close(graceful?: boolean): void;
}

/** Opens a transport; resolves once it can carry bytes, rejects if it cannot be opened. */
export type TransportFactory = (events: TransportEvents, signal: AbortSignal) => Promise<Transport>;
