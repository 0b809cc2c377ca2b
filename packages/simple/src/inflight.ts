/**
 * Design: the client's side of the session — packet ids and the requests awaiting their ack.
 * Pure state: no sockets, no timers. The publish window (`maxInflight`) is a FIFO of waiters so
 * a publish that waited for a slot is never overtaken by a later one.
 */

/** What a pending request is: the first byte of its packet type. */
export const RequestKind = { PUBLISH: 0x30, SUBSCRIBE: 0x80, UNSUBSCRIBE: 0xa0 } as const;
export type RequestKind = (typeof RequestKind)[keyof typeof RequestKind];

/** A request awaiting its acknowledgement. */
export interface Pending {
  readonly kind: RequestKind;
  /** The encoded packet, kept so that robust can re-send a PUBLISH with DUP = 1. */
  readonly packet: Uint8Array;
  /** Written on some connection at least once (a re-send then carries DUP = 1). */
  sent: boolean;
  resolve(value: number): void;
  reject(err: Error): void;
}

interface SlotWaiter {
  resolve(): void;
  reject(err: Error): void;
}

const MAX_PID = 65535;

/** Packet ids (1…65535, never 0, never one still in use) and the in-flight table. */
export class Inflight {
  readonly #pending = new Map<number, Pending>();
  readonly #waiters: SlotWaiter[] = [];
  #lastPid = 0;
  #publishes = 0;

  /** The publish window: QoS 1 PUBLISHes awaiting PUBACK at once. */
  // `declare`: assigned in the constructor only, so no class field is emitted as well
  declare readonly maxPublishes: number;

  constructor(maxPublishes: number) {
    this.maxPublishes = maxPublishes;
  }

  /** Number of requests awaiting an ack (publishes, subscribes, unsubscribes). */
  get size(): number {
    return this.#pending.size;
  }

  /** Next free packet id after the last one handed out; wraps after 65535 and skips 0. */
  allocate(): number {
    if (this.#pending.size >= MAX_PID) throw new RangeError("all 65535 packet ids are in flight");
    let pid = this.#lastPid;
    do pid = pid === MAX_PID ? 1 : pid + 1;
    while (this.#pending.has(pid));
    this.#lastPid = pid;
    return pid;
  }

  /** Records a request under its packet id until {@link take} removes it. */
  add(pid: number, request: Pending): void {
    this.#pending.set(pid, request);
  }

  /** Removes and returns the request the ack for `pid` answers; frees its window slot. */
  take(pid: number, kind: RequestKind): Pending | undefined {
    const request = this.#pending.get(pid);
    if (request === undefined || request.kind !== kind) return undefined;
    this.#pending.delete(pid);
    if (kind === RequestKind.PUBLISH) this.releaseSlot();
    return request;
  }

  /**
   * Takes a window slot for a QoS 1 publish: `undefined` when one is free now (no promise
   * allocated on the fast path), else a promise that resolves in FIFO order.
   */
  acquireSlot(): Promise<void> | undefined {
    if (this.#waiters.length === 0 && this.#publishes < this.maxPublishes) {
      this.#publishes++;
      return undefined;
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Gives a slot back (its publish was acked or never sent); hands it to the next waiter. */
  releaseSlot(): void {
    const next = this.#waiters.shift();
    if (next) next.resolve();
    else this.#publishes--;
  }

  /** The unacknowledged PUBLISHes, oldest first, for re-sending after a reconnect. */
  *unackedPublishes(): IterableIterator<[number, Pending]> {
    for (const entry of this.#pending) if (entry[1].kind === RequestKind.PUBLISH) yield entry;
  }

  /** Rejects and forgets every request of the given kinds (all when omitted). */
  rejectRequests(err: Error, kinds?: readonly RequestKind[]): void {
    for (const [pid, request] of this.#pending) {
      if (kinds && !kinds.includes(request.kind)) continue;
      this.#pending.delete(pid);
      if (request.kind === RequestKind.PUBLISH) this.releaseSlot();
      request.reject(err);
    }
  }

  /** Rejects every publish still waiting for a window slot. */
  rejectWaiters(err: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
  }
}
