/**
 * Design: the reconnect supervisor — the one place that knows whether the client should be
 * connected, whether a redial loop runs, and what waits for the next connection. Its state
 * reads as one union ({@link SupervisorState}); underneath it holds each fact once:
 * - `wanted`: connected since the last `disconnect()` (so a lost connection is redialled);
 * - `closed`: `disconnect()` was called and no `connect()` since;
 * - `generation`: counts `disconnect()` calls — a loop or an attempt that outlives one must not
 *   revive the client or fail the next session's work;
 * - the connect attempts under way, the loop, the delay being waited out;
 * - the one parking place for work made while down: publishes in the {@link OfflineQueue},
 *   everything else in the up-waiters.
 * "Connected" itself is the base client's fact (`isConnected()`), never copied here. Time comes
 * from an injected clock, so the young-death rule is testable without real time.
 */
import {
  ErrorCode,
  isRetryable,
  MQTTException,
  MqttClientError,
  notConnected,
  type QoS,
  Waiters,
} from "@umqtt/simple";
import { type OfflinePolicy, OfflineQueue } from "./offline-queue.js";

/** What the supervisor is doing, as one value. */
export type SupervisorState = "idle" | "connecting" | "up" | "backoff" | "down" | "closed";

/** The monotonic clock, in ms. */
export type Clock = () => number;

export interface SupervisorOptions {
  /** A connection that dies before this many ms counts as a failed attempt (no storm). */
  youngMs: number;
  maxOffline: number;
  offlinePolicy: OfflinePolicy;
  now?: Clock;
}

export class Supervisor {
  readonly offline: OfflineQueue;
  /** Callers waiting for the next connection (subscribe, unsubscribe, waitMsg across a drop). */
  readonly waiters = new Waiters();
  generation = 0;
  wanted = false;
  closed = false;
  /** The reconnect loop is running. */
  looping = false;
  /** connect() calls under way (the application's and the loop's). */
  connects = 0;
  /** Connections in a row that died young: each counts as a failed reconnect attempt. */
  youngDeaths = 0;
  /** The session-present flag of the last accepted connection. */
  sessionPresent = false;
  /** Ends the backoff delay being waited out now, if any. */
  cancelDelay: (() => void) | undefined;
  readonly #youngMs: number;
  readonly #now: Clock;
  /** When the current connection's CONNACK came (none since the last loss: undefined). */
  #upSince: number | undefined;

  constructor(options: SupervisorOptions) {
    this.#youngMs = options.youngMs;
    this.#now = options.now ?? (() => performance.now());
    this.offline = new OfflineQueue(options.maxOffline, options.offlinePolicy);
  }

  /**
   * The state as one value, given whether the base client is connected now.
   * @example
   * if (supervisor.state(client.isConnected()) === "backoff") supervisor.cancelDelay?.();
   */
  state(connected: boolean): SupervisorState {
    if (connected) return "up";
    if (this.closed) return "closed";
    if (this.connects > 0) return "connecting";
    if (this.cancelDelay) return "backoff";
    return this.wanted ? "down" : "idle";
  }

  /** An accepted CONNACK: release what waited for it. */
  up(sessionPresent: boolean): void {
    this.#upSince = this.#now();
    this.sessionPresent = sessionPresent;
    this.offline.release();
    while (this.waiters.resolveNext());
  }

  /** The connection ended: returns whether it died young (a failed attempt in disguise). */
  lost(): boolean {
    if (this.#upSince === undefined) return false;
    const young = this.#now() - this.#upSince < this.#youngMs;
    this.youngDeaths = young ? this.youngDeaths + 1 : 0;
    this.#upSince = undefined;
    return young;
  }

  /** disconnect(): nothing redials until the next connect(). */
  close(): void {
    this.closed = true;
    this.wanted = false;
    this.generation++;
    this.cancelDelay?.();
  }

  /** Whether a redial loop should start now. */
  shouldLoop(connected: boolean): boolean {
    return !this.looping && !this.closed && this.wanted && this.connects === 0 && !connected;
  }

  /**
   * Resolves once connected (`kick` starts a redial if none runs). Rejects when the client was
   * never connected (call `connect()` first), is closed, or reconnecting gives up. With
   * `timeout`, resolves after it anyway.
   */
  whenUp(where: string, connected: boolean, kick: () => void, timeout?: number): Promise<unknown> {
    if (connected) return Promise.resolve();
    if (this.closed) return Promise.reject(clientClosed());
    if (!this.wanted) return Promise.reject(notConnected(where));
    const up = timeout === undefined ? this.waiters.wait() : this.waiters.waitAtMost(timeout);
    kick();
    return up;
  }

  /** Parks a publish made while down until the next connection (bounded: see OfflineQueue). */
  park(qos: QoS, kick: () => void): Promise<void> {
    if (this.closed) return Promise.reject(clientClosed());
    if (!this.wanted) return Promise.reject(notConnected("publish()"));
    return new Promise<void>((resolve, reject) => {
      const loser = this.offline.add({ qos, resolve, reject });
      loser?.reject(
        new MqttClientError(
          ErrorCode.OFFLINE_QUEUE_FULL,
          `publish(): the offline queue is full (${this.offline.limit} publishes waiting, policy "${this.offline.policy}"); this publish was not sent`,
        ),
      );
      kick();
    });
  }

  /** The backoff wait: `ms`, or less when {@link cancelDelay} ends it (a connect() came). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.cancelDelay === done) this.cancelDelay = undefined;
        resolve();
      };
      timer = setTimeout(done, ms);
      this.cancelDelay = done;
    });
  }

  /**
   * An iterator that carries on across reconnects: a failure goes to `recover` (which throws
   * what is not retried, or waits for the next connection); it ends once the client is closed.
   */
  carryOn<T>(
    inner: AsyncIterableIterator<T>,
    recover: (err: unknown) => Promise<unknown>,
  ): AsyncIterableIterator<T> {
    const iterator: AsyncIterableIterator<T> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          try {
            return await inner.next();
          } catch (err) {
            if (this.closed) return { done: true, value: undefined };
            try {
              await recover(err);
            } catch (closed) {
              // disconnect() while waiting for the reconnect ends the iteration.
              if (this.closed) return { done: true, value: undefined };
              throw closed;
            }
          }
        }
      },
      return: () => inner.return!(),
    };
    return iterator;
  }

  /** Rejects everything parked: queued publishes and callers waiting for a connection. */
  fail(err: Error): void {
    this.offline.rejectAll(err);
    this.waiters.rejectAll(err);
  }
}

/** The error of an operation that disconnect() ended. */
export function clientClosed(cause?: unknown): MqttClientError {
  return new MqttClientError(ErrorCode.CLIENT_CLOSED, "the client was closed by disconnect()", {
    cause,
  });
}

/**
 * Failures a new connection can cure: network errors, CONNACK 3 (server unavailable) and the
 * MQTT 5 CONNACK reasons that say "later" or "elsewhere" (unavailable, busy, quota, use another
 * server, moved, connection rate).
 */
const LATER = [3, 0x88, 0x89, 0x97, 0x9c, 0x9d, 0x9f];
export function curable(err: unknown): boolean {
  return isRetryable(err) || (err instanceof MQTTException && LATER.includes(err.code));
}
