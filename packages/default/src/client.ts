/**
 * Design: M5Stack UIFlow2's umqtt "default" on top of the robust client. It adds two things
 * and owns nothing else: the per-topic {@link HandlerTable} (client-side state that survives
 * reconnects; robust re-subscribes the broker side) and the `sslParams` file mapping (done once,
 * in the constructor, by {@link tlsOptions}).
 *
 * Dispatch: the client installs its own router as the base client's callback, so messages
 * reach the application through `waitMsg()` / `checkMsg()` (pull, as umqtt), or through the
 * base client's no-deadlock pump while an acknowledgement is awaited with a full inbox. The
 * router runs every handler whose filter matches; a message no handler matches goes to the
 * `setCallback()` callback if there is one, and is acknowledged (unless a handler threw). The
 * router only counts as a taker for the pump when a handler or a callback exists, so that a
 * `messages()` reader loses nothing.
 */
import {
  checkSubscribe,
  describe,
  fail,
  type MessageCallback,
  type MessageInfo,
  mustBe,
  type QoS,
  MQTTClient as RobustClient,
  type MQTTClientOptions as RobustOptions,
  type SubscribeOptions,
} from "@umqtt/robust";
import { type Handler, HandlerTable } from "./handlers.js";
import { tlsOptions } from "./tls.js";
import type { SslParams } from "./tls-files.js";

/** Options of the default client: the robust client's, with UIFlow2-style `sslParams`. */
export interface MQTTClientOptions extends Omit<RobustOptions, "sslParams"> {
  /**
   * TLS settings, used with `ssl: true`: `cafile`, `cadata` (PEM text), `cert` and `key` (file
   * paths), `serverHostname`, `certReqs`, plus any Node `tls.connect` option.
   */
  sslParams?: SslParams;
}

/**
 * MQTT client in the flavour of M5Stack UIFlow2's `umqtt`: the robust client (reconnect,
 * re-send, re-subscribe) with per-topic handlers that honour MQTT wildcards, and TLS from
 * certificate files with the server certificate verified by default.
 *
 * @example
 * const client = new MQTTClient("uiflow", "broker.local", { keepalive: 60 });
 * await client.connect();
 * await client.subscribe("sensors/+/temp", ([topic, msg]) => console.log(msg), 1);
 * while (true) await client.checkMsg();
 */
export class MQTTClient extends RobustClient {
  readonly #handlers: HandlerTable;
  #fallback: MessageCallback | undefined;
  readonly #router: MessageCallback = (topic, msg, info) => this.#route(topic, msg, info);

  /**
   * Reads the certificate files named in `sslParams` now (an unreadable file throws
   * InvalidArgumentError here, before any connection is attempted).
   * @example
   * const client = new MQTTClient("uiflow", "broker.example", {
   *   port: 8883, ssl: true,
   *   sslParams: { cafile: "/certs/ca.crt", serverHostname: "broker.example" },
   * });
   */
  constructor(clientId: string, server: string, options: MQTTClientOptions = {}) {
    // Created before super(): the layer's callbacks reach the table and the fallback from there.
    const handlers = new HandlerTable();
    const routes = { fallback: false };
    super(clientId, server, withTls(options), {
      // The router is always installed, but it only "takes" messages when a handler or the
      // fallback would receive them: otherwise the no-deadlock pump would acknowledge and drop
      // messages that a `messages()` reader is waiting for.
      takesMessages: () => handlers.size > 0 || routes.fallback,
      // A refused renewal leaves no handler behind; one still awaiting its own SUBACK stays.
      subscriptionRefused: (topic) => handlers.forget(topic),
    });
    this.#handlers = handlers;
    this.#routes = routes;
    super.setCallback(this.#router);
  }

  /** Whether a fallback callback is set, shared with the layer's `takesMessages`. */
  readonly #routes: { fallback: boolean };

  /**
   * Sets the callback for messages that no per-topic handler matches (the fallback). Unlike
   * M5Stack's umqtt, it does not turn the per-topic handlers off.
   * @example
   * client.setCallback((topic, msg) => console.log("unhandled", topic, msg));
   */
  override setCallback(cb: MessageCallback): void {
    super.setCallback(cb); // validates it
    super.setCallback(this.#router);
    this.#fallback = cb;
    this.#routes.fallback = true;
  }

  /**
   * Subscribes without a per-topic handler (the base client's form): the messages go to the
   * `setCallback()` callback, or to a handler this filter already has. With neither, nothing
   * could receive them: refused with InvalidArgumentError before anything is sent.
   * @example
   * client.setCallback(onMessage);
   * await client.subscribe("logs/#", 0);
   */
  override subscribe(topic: string, qos?: QoS, options?: SubscribeOptions): Promise<number>;
  /**
   * Subscribes to a topic filter (wildcards allowed) and runs `handler([topic, msg])` for
   * every message whose topic it matches. Resolves to the granted QoS. Subscribing the same
   * filter again replaces its handler; a refused subscription (MQTTException 128) leaves no
   * handler behind.
   * @example
   * await client.subscribe("home/+/light", ([topic, msg]) => {
   *   console.log(new TextDecoder().decode(topic), new TextDecoder().decode(msg));
   * }, 1);
   */
  override subscribe(
    topic: string,
    handler: Handler,
    qos?: QoS,
    options?: SubscribeOptions,
  ): Promise<number>;
  override async subscribe(
    topic: string,
    handlerOrQos?: Handler | QoS | null,
    qos?: QoS | SubscribeOptions,
    options?: SubscribeOptions,
  ): Promise<number> {
    if (typeof handlerOrQos === "function") {
      const q = qos ?? 0;
      checkSubscribe(topic, q);
      // Active from the moment the SUBSCRIBE goes out: a broker may deliver (retained)
      // messages before or together with the SUBACK [MQTT-3.8.4], and none may be lost.
      const entry = this.#handlers.set(topic, handlerOrQos, options?.subscriptionIdentifier);
      try {
        const granted = await super.subscribe(topic, q as QoS, options);
        this.#handlers.confirm(entry);
        return granted;
      } catch (err) {
        this.#handlers.revert(entry);
        throw err;
      }
    }
    let q: unknown = qos ?? 0;
    // The base form subscribe(topic, qos, options): the options come third.
    const baseOptions = typeof qos === "object" && qos !== null ? qos : undefined;
    if (typeof handlerOrQos === "number") {
      if (qos !== undefined && !baseOptions) {
        fail(
          "subscribe(handler)",
          `must be a function, got ${describe(handlerOrQos)} (QoS given twice?)`,
        );
      }
      q = handlerOrQos;
    } else if (handlerOrQos !== undefined && handlerOrQos !== null) {
      mustBe("subscribe(handler)", "a function ([topic, msg]) => …", handlerOrQos);
    }
    checkSubscribe(topic, q);
    if (!this.#fallback && !this.#handlers.has(topic)) {
      fail(
        "subscribe(handler)",
        `no handler for ${JSON.stringify(topic)} and no setCallback() callback, so nothing could receive its messages; use subscribe(topic, handler, qos)`,
      );
    }
    return super.subscribe(topic, q as QoS, baseOptions);
  }

  /**
   * Removes the filter's handler at once, then unsubscribes (retried across reconnects).
   * Messages already on their way go to the `setCallback()` callback, or are just acknowledged.
   * @example
   * await client.unsubscribe("home/+/light");
   */
  override async unsubscribe(topic: string): Promise<void> {
    // No handler is ever kept under an invalid filter; robust refuses the filter itself.
    this.#handlers.delete(topic);
    return super.unsubscribe(topic);
  }

  /**
   * The filters that have a handler, in subscription order.
   * @example
   * console.log(client.handledTopics()); // ["home/+/light", "cmd/#"]
   */
  handledTopics(): string[] {
    return [...this.#handlers.filters()];
  }

  /**
   * Runs every matching handler (each once, in subscription order, awaiting returned promises
   * one after the other), or the fallback callback. All matching handlers run even if one
   * throws; then the first error is rethrown (an AggregateError if several threw), so it
   * surfaces from the waitMsg()/checkMsg() that dispatched the message, which is then not
   * acknowledged.
   */
  #route(topic: Uint8Array, msg: Uint8Array, info: MessageInfo): void | Promise<void> {
    const matched = this.#handlers.match(topic, info.properties?.subscriptionIdentifier);
    if (matched.length === 0) return this.#fallback?.(topic, msg, info);
    return runAll(matched, topic, msg);
  }
}

function withTls(options: MQTTClientOptions): RobustOptions {
  if (options === null || typeof options !== "object" || options.sslParams === undefined) {
    return options as RobustOptions;
  }
  if (!options.ssl) {
    fail(
      "MQTTClient(options.sslParams)",
      "TLS settings given, but options.ssl is not set; add ssl: true (umqtt would silently connect without TLS)",
    );
  }
  return { ...options, sslParams: tlsOptions(options.sslParams) };
}

function runAll(handlers: Handler[], topic: Uint8Array, msg: Uint8Array): void | Promise<void> {
  const errors: unknown[] = [];
  for (let i = 0; i < handlers.length; i++) {
    let result: void | Promise<void>;
    try {
      result = handlers[i]!([topic, msg]);
    } catch (err) {
      errors.push(err);
      continue;
    }
    if (result && typeof (result as Promise<void>).then === "function") {
      return finish(handlers, i, result, topic, msg, errors);
    }
  }
  if (errors.length > 0) throw combine(errors, topic);
}

/** The rest of runAll() once a handler returned a promise: await each in turn. */
async function finish(
  handlers: Handler[],
  at: number,
  pending: Promise<void>,
  topic: Uint8Array,
  msg: Uint8Array,
  errors: unknown[],
): Promise<void> {
  try {
    await pending;
  } catch (err) {
    errors.push(err);
  }
  for (let i = at + 1; i < handlers.length; i++) {
    try {
      await handlers[i]!([topic, msg]);
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw combine(errors, topic);
}

function combine(errors: unknown[], topic: Uint8Array): unknown {
  if (errors.length === 1) return errors[0];
  return new AggregateError(
    errors,
    `${errors.length} handlers threw for topic ${JSON.stringify(new TextDecoder().decode(topic))}`,
  );
}
