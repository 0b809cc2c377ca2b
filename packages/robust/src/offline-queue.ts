/**
 * Design: publishes made while disconnected wait here, in call order, until the client is
 * connected again. Bounded: when full, the policy decides — `"drop-oldest"` drops the oldest
 * waiting QoS 0 publish to make room (its promise rejects), `"reject"` refuses the new one.
 * A QoS 1 or 2 publish is never dropped to make room: if it cannot be kept, it is the one refused.
 * Pure state: no sockets, no timers.
 */
import type { QoS } from "@umqtt/simple";

export type OfflinePolicy = "drop-oldest" | "reject";

export interface OfflineEntry {
  readonly qos: QoS;
  resolve(): void;
  reject(err: Error): void;
}

export class OfflineQueue {
  private entries: OfflineEntry[] = [];

  constructor(
    readonly limit: number,
    readonly policy: OfflinePolicy,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  /**
   * Adds an entry; returns the entry that lost its place (the new one or a dropped QoS 0 one)
   * for the caller to reject, or undefined when everything fits.
   */
  add(entry: OfflineEntry): OfflineEntry | undefined {
    if (this.entries.length < this.limit) {
      this.entries.push(entry);
      return undefined;
    }
    if (this.policy === "drop-oldest") {
      const victim = this.entries.findIndex((e) => e.qos === 0);
      if (victim >= 0) {
        const [dropped] = this.entries.splice(victim, 1);
        this.entries.push(entry);
        return dropped;
      }
    }
    return entry;
  }

  /** Lets every waiting publish go, in call order. */
  release(): void {
    for (const entry of this.entries.splice(0)) entry.resolve();
  }

  /** Fails every waiting publish. */
  rejectAll(err: Error): void {
    for (const entry of this.entries.splice(0)) entry.reject(err);
  }
}
