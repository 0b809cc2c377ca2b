/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
  settled: boolean;
}

/** Creates a Deferred<T>; `settled` flips once resolve or reject was called. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      d.settled = true;
      resolve(value);
    },
    reject: (reason) => {
      d.settled = true;
      reject(reason);
    },
  };
  return d;
}

/** Error thrown by withTimeout/waitFor when the safety net fires. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  readonly code = "ETESTTIMEOUT";
}

/** Races `promise` against a timer: a safety net that rejects with "timed out after N ms waiting for <what>". */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = "promise"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `predicate` (setImmediate first, then every intervalMs) until truthy; last resort when no event exists. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; what?: string; intervalMs?: number } = {},
): Promise<void> {
  const { timeoutMs = 5000, what = "condition", intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  let spins = 0;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline)
      throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    // A few event-loop turns catch most conditions without a timer; then back off.
    if (spins++ < 10) await new Promise<void>((r) => setImmediate(r));
    else await new Promise<void>((r) => setTimeout(r, intervalMs));
  }
}

/** A promise's outcome, readable without awaiting it (see {@link settle}). */
export interface Settled<T> {
  readonly state: "pending" | "resolved" | "rejected";
  readonly value?: T;
  readonly error?: unknown;
  /** Resolves (never rejects) once the promise settled. */
  readonly done: Promise<void>;
}

/**
 * Records how a promise settles, without an unhandled rejection: for asserting that an
 * operation is still pending, or how it ended.
 *
 * @example
 * const pub = settle(client.publish("t", "m", false, 1));
 * await turns();
 * expect(pub.state).toBe("pending"); // no PUBACK yet
 */
export function settle<T>(promise: Promise<T>): Settled<T> {
  const rec: { state: Settled<T>["state"]; value?: T; error?: unknown; done: Promise<void> } = {
    state: "pending",
    done: Promise.resolve(),
  };
  rec.done = promise.then(
    (value) => {
      rec.state = "resolved";
      rec.value = value;
    },
    (error: unknown) => {
      rec.state = "rejected";
      rec.error = error;
    },
  );
  return rec;
}
