/**
 * Design: the bounded queue of received messages between the socket reader and the
 * application (pull delivery). Pure state: it only counts and says when it is full; the client
 * decides to pause the socket (soft limit) or to close the connection (hard cap).
 */

import type { PublishProperties, QoS } from "@umqtt/codec";

/** A received PUBLISH as it waits in the inbox. */
export interface Incoming {
  /** First header byte (0x30 | dup << 3 | qos << 1 | retain): what waitMsg() returns. */
  readonly first: number;
  readonly topic: Uint8Array;
  readonly payload: Uint8Array;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly pid: number;
  /** The connection it arrived on (a session epoch): a PUBACK is only sent on that one. */
  readonly epoch: number;
  /** (MQTT 5) Its properties, topic alias resolved away. */
  readonly properties?: PublishProperties;
}

// Per-message bookkeeping cost counted on top of topic and payload bytes.
const OVERHEAD = 96;

/** FIFO with an O(1) shift and byte/count accounting. */
export class Inbox {
  #items: (Incoming | undefined)[] = [];
  #head = 0;
  /** Bytes held (topic + payload + overhead per message). */
  bytes = 0;

  // `declare`: assigned in the constructor only, so no class fields are emitted as well
  declare readonly maxMessages: number;
  declare readonly maxBytes: number;
  /** Hard cap as a multiple of the soft limits (only reached while acks are awaited). */
  declare readonly hardFactor: number;

  constructor(maxMessages: number, maxBytes: number, hardFactor = 16) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.hardFactor = hardFactor;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** At or past the soft limit: time to stop reading. */
  get full(): boolean {
    return this.length >= this.maxMessages || this.bytes >= this.maxBytes;
  }

  /** Past the hard cap: the connection must close rather than grow further. */
  get overflowing(): boolean {
    return (
      this.length > this.maxMessages * this.hardFactor ||
      this.bytes > this.maxBytes * this.hardFactor
    );
  }

  push(message: Incoming): void {
    this.#items.push(message);
    this.bytes += message.topic.length + message.payload.length + OVERHEAD;
  }

  shift(): Incoming | undefined {
    if (this.#head === this.#items.length) return undefined;
    const message = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (message) this.bytes -= message.topic.length + message.payload.length + OVERHEAD;
    return message;
  }
}
