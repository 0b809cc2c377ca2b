/**
 * Design: keepalive as one lazily re-armed timer. Sending or receiving only stamps a time (no
 * timer work on the hot path); when the timer fires it decides what is due:
 * - nothing sent or nothing received for `interval` → send PINGREQ [MQTT-3.1.2-23];
 * - a PINGREQ unanswered (and nothing else received) for `interval / 2` → the link is dead.
 * So a link that dies right after the last received byte is declared dead within 1.5 × keepalive.
 * A paused reader (the application sets the pace) cannot see the PINGRESP, so a ping resumes it
 * for a probe; if it was paused again before anything arrived, it is probed once more and the
 * answer gets one more `interval / 2`. A reader that may not read (memory first) is not probed,
 * and its silence is not held against the link.
 *
 * Throttled timers (a background browser tab fires them up to a minute late; a suspended
 * process later still): a deadline timer that fires far past its due time may run before the
 * PINGRESP already waiting to be read. Lateness is measured on the monotonic clock; a late
 * deadline re-probes (one more PINGREQ and one more `interval / 2`) instead of declaring the
 * link dead, once per ping: a second miss is death, late or not.
 */

export interface KeepaliveHooks {
  /** Send a PINGREQ now. */
  ping(): void;
  /** The link is dead. */
  dead(): void;
  /** True while the reader is paused by the application's pace: silence is then expected. */
  readerPaused(): boolean;
  /** Resume a paused reader to look for the PINGRESP; false if it may not read (memory first). */
  probe(): boolean;
}

export class Keepalive {
  #lastTx: number;
  #lastRx: number;
  #pingAt = 0;
  #probed = false;
  #reprobed = false;
  /** When the armed timer is due (monotonic ms): how late it fires is measured against it. */
  #due = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Keepalive in milliseconds (0: off). */
  // `declare`: assigned in the constructor only, so no class field is emitted as well
  declare readonly interval: number;
  readonly #hooks: KeepaliveHooks;
  readonly #now: () => number;

  constructor(interval: number, hooks: KeepaliveHooks, now: () => number = monotonic) {
    this.interval = interval;
    this.#hooks = hooks;
    this.#now = now;
    this.#lastTx = this.#lastRx = this.#now();
  }

  /** Something was written. */
  sent(): void {
    this.#lastTx = this.#now();
  }

  /** Something was read: the link is alive, any outstanding ping is answered. */
  received(): void {
    this.#lastRx = this.#now();
    this.#pingAt = 0;
  }

  start(): void {
    if (this.interval > 0) this.#arm(this.interval);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    ms = Math.max(1, Math.ceil(ms));
    this.#due = this.#now() + ms;
    // The instance rides along as the timer's argument: no closure per connection.
    this.#timer = setTimeout(onTimer, ms, this);
    // An idle client must not keep the process alive.
    this.#timer.unref?.();
  }

  /** @internal The timer fired: decide what is due. */
  tick(): void {
    const now = this.#now();
    const deadline = this.interval / 2;
    if (this.#pingAt !== 0) {
      const waited = now - this.#pingAt;
      if (waited < deadline) return this.#arm(deadline - waited);
      // Throttled: the answer may be queued behind this very timer. Ask once more.
      if (!this.#reprobed && now - this.#due > Math.max(THROTTLED, deadline / 2)) {
        this.#reprobed = true;
        return this.#ping(now, deadline);
      }
      // Paused again since the ping: probe once more and wait one more deadline; a reader
      // that may not read waits on (the broker is evidently sending).
      if (!this.#probed && this.#hooks.readerPaused()) {
        this.#pingAt = now;
        this.#probed = this.#hooks.probe();
        return this.#arm(deadline);
      }
      this.#timer = undefined;
      return this.#hooks.dead();
    }
    const idleSince = Math.min(this.#lastTx, this.#lastRx);
    const due = idleSince + this.interval - now;
    if (due > 0) return this.#arm(due);
    this.#probed = false;
    this.#reprobed = false;
    this.#ping(now, deadline);
  }

  #ping(now: number, deadline: number): void {
    this.#pingAt = now;
    this.#lastTx = now;
    this.#hooks.ping();
    // A paused reader could not see the PINGRESP: read again until something arrives.
    this.#hooks.probe();
    this.#arm(deadline);
  }
}

/** A timer this many ms (or half a deadline) past due was throttled, not merely busy. */
const THROTTLED = 1000;
const monotonic = (): number => performance.now();
const onTimer = (keepalive: Keepalive): void => keepalive.tick();
