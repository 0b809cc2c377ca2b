/**
 * The contract between the client layers — how `@umqtt/robust` extends `@umqtt/simple` and
 * `@umqtt/default` extends robust — and the only way in: an upper layer passes one `Layer` as
 * the base constructor's fourth argument, and gets a {@link Core} back through `attach`. No
 * layer reads another's state. Applications never need this.
 */
import type { MqttClientError } from "./errors.js";

/** What an upper layer tells the base client, and when the base calls it. */
export interface Layer {
  /** Option names the upper layers read; the base refuses any other key it does not know. */
  readonly optionKeys?: readonly string[];
  /** QoS 1/2 publishes outlive a lost connection (re-sent after the next CONNACK) instead of rejecting. */
  readonly keepPublishes?: boolean;
  /** Receives the base's {@link Core} once, during construction. */
  attach?(core: Core): void;
  /** An accepted CONNACK: runs before the session's re-sends are written and `connect()` resolves. */
  up?(sessionPresent: boolean): void;
  /** The connection ended with `err`, after the session dropped what does not survive it. */
  down?(err: MqttClientError): void;
  /**
   * Whether the callback would really receive queued messages, for the no-deadlock pump
   * (default: whether a callback is set). A router callback answers for its routes.
   */
  takesMessages?(hasCallback: boolean): boolean;
}

/** What the base client offers an upper layer. */
export interface Core {
  /** Rejects every request awaiting its acknowledgement and every publish awaiting a slot. */
  fail(err: Error): void;
}
