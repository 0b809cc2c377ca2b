/**
 * Design: the one shape of "callers waiting for something": a FIFO of pending promises that
 * are resolved one at a time, in call order, or all rejected together when what they wait for
 * is gone (the connection closed, `disconnect()`). Every waiting collection of the client is
 * one of these, so every one of them settles.
 */
export class Waiters<T = void> {
  // The array comes with the first waiter: an idle client holds several empty collections.
  #items: { resolve(value: T): void; reject(err: Error): void }[] | undefined;

  /** How many wait. */
  get length(): number {
    return this.#items?.length ?? 0;
  }

  /**
   * A promise settled by a later {@link resolveNext} or {@link rejectAll}.
   * @example
   * const next = waiters.wait(); waiters.resolveNext(value); await next;
   */
  wait(): Promise<T> {
    return new Promise<T>((resolve, reject) => (this.#items ??= []).push({ resolve, reject }));
  }

  /**
   * Like {@link wait}, but gives up after `ms`: the waiter leaves the queue and the promise
   * resolves to `undefined`, so callers that poll (checkMsg) leave nothing behind.
   * @example
   * await upWaiters.waitAtMost(250); // back, or 250 ms passed
   */
  waitAtMost(ms: number): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const entry = {
        resolve: (value: T) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#items?.indexOf(entry) ?? -1;
        if (at >= 0) this.#items!.splice(at, 1);
        resolve(undefined);
      }, ms);
      (this.#items ??= []).push(entry);
    });
  }

  /** Resolves the oldest waiter with `value`; false when nobody waits. */
  resolveNext(value: T): boolean {
    const next = this.#items?.shift();
    next?.resolve(value);
    return next !== undefined;
  }

  /** Rejects every waiter with `err`. */
  rejectAll(err: Error): void {
    const items = this.#items;
    if (!items) return;
    this.#items = undefined;
    for (const waiter of items) waiter.reject(err);
  }
}
