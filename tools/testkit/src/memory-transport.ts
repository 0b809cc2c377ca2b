/**
 * Design: an in-memory transport for tests — the client gets a `Transport`, the test gets the
 * other end as a {@link MemoryConnection} that sees every byte and can answer, stall (write
 * backpressure), or drop the link. Delivery is asynchronous, as on a socket.
 *
 * The transport seam is declared here by its shape (the same as @umqtt/simple's
 * `Transport`/`TransportEvents`/`TransportFactory`), so testkit does not depend on the
 * packages it tests: simple has testkit as a devDependency, and a cycle breaks the build graph.
 */

/** What a transport tells its owner (the shape of @umqtt/simple's `TransportEvents`). */
export interface TransportEvents {
  data(chunk: Uint8Array): void;
  drain(): void;
  closed(cause?: Error): void;
}

/** An open byte stream (the shape of @umqtt/simple's `Transport`). */
export interface Transport {
  write(bytes: Uint8Array): boolean;
  pause(): void;
  resume(): void;
  close(graceful?: boolean): void;
}

/** Opens a transport (the shape of @umqtt/simple's `TransportFactory`). */
export type TransportFactory = (events: TransportEvents, signal: AbortSignal) => Promise<Transport>;

/** The test's end of one in-memory connection. */
export class MemoryConnection {
  /** Every chunk the client wrote, in order. */
  readonly written: Uint8Array[] = [];
  /** Every chunk the client was handed (read), in order. */
  readonly delivered: Uint8Array[] = [];
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  #pending: Uint8Array[] = [];
  #writable = true;
  #clientPaused = false;
  closed = false;

  constructor(private readonly events: TransportEvents) {}

  /** True while the client asked not to receive data (its inbox is full). */
  get paused(): boolean {
    return this.#clientPaused;
  }

  /** Calls `listener` with each chunk the client writes from now on. */
  onWrite(listener: (bytes: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends bytes to the client (delivered on a later microtask, held while it is paused). */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.#pending.push(bytes);
    queueMicrotask(() => this.#deliver());
  }

  /** Makes the client's writes report "full" until {@link unblock} (backpressure). */
  block(): void {
    this.#writable = false;
  }

  unblock(): void {
    if (this.#writable) return;
    this.#writable = true;
    queueMicrotask(() => !this.closed && this.events.drain());
  }

  /** Drops the link, as a reset socket would; the client sees `close(cause)`. */
  close(cause?: Error): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.events.closed(cause));
  }

  /** @internal the client's side. */
  transport(): Transport {
    return {
      write: (bytes) => {
        if (this.closed) return false;
        this.written.push(bytes);
        for (const listener of this.#listeners) listener(bytes);
        return this.#writable;
      },
      pause: () => {
        this.#clientPaused = true;
      },
      resume: () => {
        this.#clientPaused = false;
        queueMicrotask(() => this.#deliver());
      },
      close: () => this.close(),
    };
  }

  #deliver(): void {
    while (!this.closed && !this.#clientPaused && this.#pending.length > 0) {
      const chunk = this.#pending.shift()!;
      this.delivered.push(chunk);
      this.events.data(chunk);
    }
  }
}

/**
 * An in-memory "server": its `factory` is a {@link TransportFactory} to pass as the client's
 * `transport` option; every connection the client opens shows up in `connections`.
 *
 * @example
 * const server = new MemoryServer();
 * const client = new MQTTClient("id", "memory", { transport: server.factory });
 * const next = server.nextConnection();
 * void client.connect();
 * const conn = await next; // conn.written: the CONNECT; conn.send(bytes) answers
 */
export class MemoryServer {
  readonly connections: MemoryConnection[] = [];
  /** When set, opening a connection fails with this error (broker down). */
  refuse: Error | undefined;
  #waiters: ((connection: MemoryConnection) => void)[] = [];

  readonly factory: TransportFactory = async (events) => {
    if (this.refuse) throw this.refuse;
    const connection = new MemoryConnection(events);
    this.connections.push(connection);
    for (const waiter of this.#waiters.splice(0)) waiter(connection);
    return connection.transport();
  };

  /** The next connection the client opens: call it before the client connects. */
  nextConnection(): Promise<MemoryConnection> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
