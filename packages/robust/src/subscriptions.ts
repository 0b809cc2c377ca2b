/**
 * Design: the subscriptions robust renews when a broker lost the session — filter → QoS, in
 * subscription order. A subscribe() is remembered only once its SUBACK came and no
 * unsubscribe() or newer subscribe() of the filter superseded it meanwhile. A renewal that was
 * not confirmed (the connection dropped first) is tried again on the next connection, even if
 * that one has a session. Pure state: the renewal itself is the caller's `subscribe`.
 */
import { MQTTException, type QoS, type SubscribeOptions } from "@umqtt/simple";

export class Subscriptions {
  readonly #active = new Map<string, [QoS, SubscribeOptions | undefined]>();
  /** The latest subscribe() per filter: a token an unsubscribe() or a newer subscribe() replaces. */
  readonly #calls = new Map<string, object>();
  #unconfirmed = false;

  /** A subscribe() starts: returns its token for {@link granted} / {@link refused}. */
  begin(filter: string): object {
    const call = {};
    this.#calls.set(filter, call);
    return call;
  }

  /** Its SUBACK granted it: remembered for renewal unless superseded meanwhile. */
  granted(filter: string, qos: QoS, call: object, options?: SubscribeOptions): void {
    if (this.#calls.get(filter) === call) this.#active.set(filter, [qos, options]);
  }

  /** It failed for good: forgotten unless a newer call replaced it. */
  refused(filter: string, call: object): void {
    if (this.#calls.get(filter) === call) this.#calls.delete(filter);
  }

  /** unsubscribe(): forgotten at once, never renewed. */
  forget(filter: string): void {
    this.#active.delete(filter);
    this.#calls.delete(filter);
  }

  /**
   * After a CONNACK: renews every remembered subscription when the broker has no session (or
   * the last renewal was not confirmed). A refusal now (the ACL changed) drops the filter and
   * is reported through `onRefused`; every failure goes to `onError`.
   */
  renew(
    sessionPresent: boolean,
    subscribe: (filter: string, qos: QoS, options?: SubscribeOptions) => Promise<number>,
    onRefused: (filter: string, err: MQTTException) => void,
    onError: (err: unknown) => void,
  ): void {
    if ((sessionPresent && !this.#unconfirmed) || this.#active.size === 0) return;
    this.#unconfirmed = true;
    const renewals = [...this.#active].map(([filter, [qos, options]]) =>
      subscribe(filter, qos, options).catch((err: unknown) => {
        if (err instanceof MQTTException) {
          this.#active.delete(filter);
          onRefused(filter, err);
        }
        onError(err);
        throw err;
      }),
    );
    Promise.all(renewals).then(
      () => {
        this.#unconfirmed = false;
      },
      () => {},
    );
  }
}
