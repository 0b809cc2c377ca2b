/**
 * Design: the per-topic handler table — pure, no IO. It maps a topic filter (exactly as given
 * to `subscribe`) to its handler and finds every handler whose filter matches a received topic,
 * with MQTT wildcards and the `$` rule [MQTT-4.7.2-1], comparing the topic's received bytes
 * byte-wise, case-sensitive and without normalisation [MQTT-4.7.3-4]. One handler per filter:
 * registering a filter again replaces its handler. Iteration order is registration order.
 */
import { topicMatches } from "@umqtt/robust";

const UTF8 = new TextEncoder();

/** A per-topic handler: called with `[topic, msg]` (UIFlow2's `data[0]`, `data[1]`). */
export type Handler = (data: [topic: Uint8Array, msg: Uint8Array]) => void | Promise<void>;

/** One registration; compared by identity to undo a registration that lost a race. */
export interface HandlerEntry {
  readonly filter: string;
  /** The filter's UTF-8 bytes, encoded once: received topics are bytes, matched byte-wise. */
  readonly bytes: Uint8Array;
  readonly handler: Handler;
  /** (MQTT 5) Its subscription identifier, when it was subscribed with one. */
  readonly id: number | undefined;
  /** Until its SUBACK: whether the broker took it. A refused one is never restored. */
  state: "pending" | "confirmed" | "refused";
  /** The registration it replaced, kept until this one is confirmed (to restore on refusal). */
  previous: HandlerEntry | undefined;
}

/**
 * Topic filter → handler, dispatched with MQTT wildcard matching.
 *
 * @example
 * const table = new HandlerTable();
 * table.set("sensors/+/temp", ([topic, msg]) => console.log(topic, msg));
 * table.match(new TextEncoder().encode("sensors/kitchen/temp")); // → [that handler]
 */
export class HandlerTable {
  private readonly entries = new Map<string, HandlerEntry>();

  /** Number of registered filters. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Registers `handler` for `filter` (replacing any handler it had), pending its SUBACK: then
   * {@link confirm} or {@link revert} it.
   * @example
   * const entry = table.set("a/#", onA);
   */
  set(filter: string, handler: Handler, id?: number): HandlerEntry {
    const entry: HandlerEntry = {
      filter,
      bytes: UTF8.encode(filter),
      handler,
      id,
      state: "pending",
      previous: this.entries.get(filter),
    };
    this.entries.set(filter, entry);
    return entry;
  }

  /**
   * The broker granted the subscription: the registration stands.
   * @example
   * table.confirm(entry);
   */
  confirm(entry: HandlerEntry): void {
    entry.state = "confirmed";
    entry.previous = undefined;
  }

  /**
   * The subscription was refused: if `entry` is still the registration for its filter, the
   * latest one that was not refused takes its place (or the filter goes). A later registration
   * of the same filter is left alone; `entry` is never restored by one.
   * @example
   * const entry = table.set("a/#", onA);
   * table.revert(entry); // the subscribe was refused
   */
  revert(entry: HandlerEntry): void {
    entry.state = "refused";
    if (this.entries.get(entry.filter) !== entry) return;
    let previous = entry.previous;
    while (previous?.state === "refused") previous = previous.previous;
    if (previous) this.entries.set(entry.filter, previous);
    else this.entries.delete(entry.filter);
  }

  /**
   * Removes this filter's handler unless a registration is still pending its SUBACK (that one
   * decides for itself): for a subscription the broker refused to renew.
   * @example
   * table.forget("a/#");
   */
  forget(filter: string): void {
    if (this.entries.get(filter)?.state !== "pending") this.entries.delete(filter);
  }

  /**
   * The handler registered for exactly this filter (no wildcard matching).
   * @example
   * table.get("a/#");
   */
  get(filter: string): Handler | undefined {
    return this.entries.get(filter)?.handler;
  }

  /**
   * True when exactly this filter has a handler.
   * @example
   * table.has("a/#");
   */
  has(filter: string): boolean {
    return this.entries.has(filter);
  }

  /**
   * Removes the handler of exactly this filter; true if there was one.
   * @example
   * table.delete("a/#");
   */
  delete(filter: string): boolean {
    return this.entries.delete(filter);
  }

  /**
   * Every handler whose filter matches `topic` (received bytes, or a string), each once, in
   * registration order. Filters starting with a wildcard do not match `$` topics.
   * @example
   * for (const handler of table.match(topic)) await handler([topic, msg]);
   * table.match(topic, info.properties?.subscriptionIdentifier); // by subscription id first
   */
  match(topic: Uint8Array | string, ids?: number | number[]): Handler[] {
    const found: Handler[] = [];
    // (MQTT 5) A message that names the subscriptions it matched goes to those handlers only.
    if (ids !== undefined) {
      const named = typeof ids === "number" ? [ids] : ids;
      for (const entry of this.entries.values()) {
        if (entry.id !== undefined && named.includes(entry.id)) found.push(entry.handler);
      }
      if (found.length > 0) return found;
    }
    for (const entry of this.entries.values()) {
      if (topicMatches(entry.bytes, topic)) found.push(entry.handler);
    }
    return found;
  }

  /**
   * The registered filters, in registration order.
   * @example
   * [...table.filters()];
   */
  filters(): IterableIterator<string> {
    return this.entries.keys();
  }
}
