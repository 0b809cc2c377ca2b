/**
 * Design: umqtt.robust's contract on top of the simple client — the same API, and network
 * faults do not surface. It extends the base only through the layer contract: the base keeps
 * QoS 1 publishes in its session across connections (re-sent first after the CONNACK, in
 * order, DUP = 1, original ids) and tells this layer when a connection comes and goes; the
 * {@link Supervisor} decides whether to redial and parks what is made while down:
 * - with no session on the broker, every active subscription is re-subscribed first;
 * - publishes made while down wait in a bounded offline queue;
 * - subscribe, unsubscribe, waitMsg and messages() retry once the client is back.
 * Whether an error is retried is the error's own `retryable`. Errors that a reconnect cannot
 * cure (bad arguments, CONNACK 1/2/4/5, SUBACK 0x80) reject.
 */
import {
  type Core,
  checkFilter,
  checkInteger,
  checkPublish,
  checkSubscribe,
  ErrorCode,
  isConnectionError,
  isRetryable,
  type Layer,
  type Message,
  type MQTTException,
  MqttClientError,
  type QoS,
  MQTTClient as SimpleClient,
  type SubscribeOptions,
} from "@umqtt/simple";
import { backoffDelay } from "./backoff.js";
import { type MQTTClientOptions, OPTION_KEYS, settingsOf } from "./options.js";
import { type ServerRotation, serverRotation } from "./servers.js";
import { Subscriptions } from "./subscriptions.js";
import { clientClosed, curable, Supervisor } from "./supervisor.js";

/** The layer contract as robust extends it for the layer above (default). */
export interface RobustLayer extends Layer {
  /** A subscription the broker refused to renew after a reconnect (it is forgotten). */
  subscriptionRefused?(topic: string, err: MQTTException): void;
}

// How long one checkMsg() attempt waits for a reconnect before moving on.
const CHECK_WAIT_MS = 250;

/**
 * MQTT client that survives network faults: same API as `@umqtt/simple`'s, with automatic
 * reconnect, re-send of unacknowledged QoS 1 messages and re-subscription.
 *
 * @example
 * const client = new MQTTClient("gateway-7", "broker.local", { keepalive: 30 });
 * await client.connect(false);
 * await client.subscribe("cmd/#", 1);
 * await client.publish("telemetry", payload, false, 1); // resolves on PUBACK, outages or not
 */
export class MQTTClient extends SimpleClient {
  /** umqtt.robust's DEBUG: when true, `log()` prints. */
  debug: boolean;
  readonly #baseDelay: number;
  readonly #maxDelay: number;
  readonly #maxAttempts: number;
  readonly #supervisor: Supervisor;
  readonly #core: Core;
  /** Active subscriptions, re-subscribed when the broker lost the session. */
  readonly #subscriptions = new Subscriptions();
  readonly #upper: RobustLayer;
  /** The `servers` option: which broker each dial goes to. */
  readonly #servers: ServerRotation | undefined;

  /**
   * @param layer how an upper layer (default) extends this client; see simple's `Layer`.
   * @example
   * const client = new MQTTClient("gateway-7", "broker.local", { reconnectDelay: 500, debug: true });
   */
  constructor(
    clientId: string,
    server: string,
    options: MQTTClientOptions = {},
    layer: RobustLayer = {},
  ) {
    // The layer's callbacks reach this instance through `self`: `this` exists only after super().
    const self: { client?: MQTTClient; core?: Core } = {};
    // Every dial goes through the rotation's transport.
    const servers = serverRotation(options);
    super(clientId, server, servers ? { ...options, transport: servers.transport() } : options, {
      // The list is shared unless a layer above adds keys of its own.
      optionKeys: layer.optionKeys ? [...OPTION_KEYS, ...layer.optionKeys] : OPTION_KEYS,
      keepPublishes: true,
      attach: (core) => {
        self.core = core;
      },
      up: (sessionPresent) => self.client!.#up(sessionPresent),
      down: (err) => self.client!.#down(err),
      takesMessages: layer.takesMessages,
    });
    self.client = this;
    this.#servers = servers;
    this.#core = self.core!;
    this.#upper = layer;
    const o = settingsOf(options);
    this.debug = o.debug;
    this.#baseDelay = o.reconnectDelay;
    this.#maxDelay = o.maxReconnectDelay;
    this.#maxAttempts = o.maxReconnectAttempts;
    this.#supervisor = new Supervisor({
      youngMs: o.reconnectDelay,
      maxOffline: o.maxOfflineQueue,
      offlinePolicy: o.offlinePolicy,
    });
  }

  /**
   * Connects (see the simple client). Also marks the client as wanted: from now on a lost
   * connection is redialled until `disconnect()`. `reconnect()` calls this method with
   * `cleanSession = false`, so an override runs on every reconnect.
   * @example
   * if (!(await client.connect(false))) await client.subscribe("cmd/#", 1);
   */
  override async connect(cleanSession = true, timeout?: number): Promise<boolean> {
    const s = this.#supervisor;
    s.closed = false;
    // A reconnect waiting out its backoff gives way to this connect.
    s.cancelDelay?.();
    const generation = s.generation;
    s.connects++;
    try {
      const inReconnect = s.looping;
      const dial = () => super.connect(cleanSession, timeout);
      // With servers: one round over the list; each server reached or failed is logged.
      const sessionPresent = this.#servers
        ? await this.#servers.connect(
            dial,
            (what) => this.log(inReconnect, what),
            (err) => s.generation === generation && !s.closed && curable(err),
          )
        : await dial();
      if (s.generation !== generation) {
        // disconnect() ran while this connect() was settling (its CONNACK already read): the
        // client stays closed.
        await super.disconnect();
        throw new MqttClientError(
          ErrorCode.CLIENT_CLOSED,
          "disconnect() was called while connecting",
        );
      }
      s.wanted = true;
      return sessionPresent;
    } finally {
      s.connects--;
      // A connection lost while connect() was still settling did not start the loop: now.
      this.#ensureReconnecting();
    }
  }

  /**
   * Disconnects and stops reconnecting; everything pending (in-flight publishes, the offline
   * queue, waits for a reconnect) rejects with code `ERR_CLIENT_CLOSED`.
   * @example
   * await client.disconnect();
   */
  override async disconnect(): Promise<void> {
    this.#supervisor.close();
    // The base's disconnect() ends in this layer's down(), which fails everything still waiting.
    await super.disconnect();
  }

  /**
   * Redials until connected: `connect(false)` per attempt, `delay(attempt)` after each failed
   * one, `log(true, err)` for each failure. Resolves to the session-present flag; rejects on an
   * error a reconnect cannot cure, or after `maxReconnectAttempts` (code `ERR_RECONNECT_FAILED`).
   * @example
   * class MyClient extends MQTTClient { override async reconnect() { led.on(); try { return await super.reconnect(); } finally { led.off(); } } }
   */
  async reconnect(): Promise<boolean> {
    const s = this.#supervisor;
    const generation = s.generation;
    // Connections that keep dying young (a broker that accepts, then drops us: a duplicate
    // client id, an ACL) count as failed attempts, so their redials back off too: no
    // reconnect storm. One quick drop still gets umqtt's immediate first redial.
    let attempt = Math.max(0, s.youngDeaths - 1);
    let lastError: unknown;
    for (;;) {
      if (attempt > 0) {
        if (attempt >= this.#maxAttempts) {
          throw new MqttClientError(
            ErrorCode.RECONNECT_FAILED,
            `gave up reconnecting after ${attempt} failed attempts`,
            { cause: lastError },
          );
        }
        await this.delay(attempt);
      }
      if (s.closed || s.generation !== generation) {
        throw new MqttClientError(ErrorCode.CLIENT_CLOSED, "disconnect() stopped reconnecting");
      }
      // The application connected by itself meanwhile: its connection stands.
      if (this.isConnected() || s.connects > 0) return s.sessionPresent;
      try {
        return await this.connect(false);
      } catch (err) {
        if (s.closed || s.generation !== generation || !curable(err)) throw err;
        this.log(true, err);
        lastError = err;
        attempt++;
      }
    }
  }

  /**
   * Waits before reconnect attempt `attempt + 1`: exponential backoff with full jitter between
   * 0 and min(maxReconnectDelay, reconnectDelay × 2^(attempt − 1)). Override to change.
   * @example
   * class FixedDelay extends MQTTClient { override delay() { return new Promise<void>((r) => setTimeout(r, 2000)); } }
   */
  delay(attempt: number): Promise<void> {
    return this.#supervisor.sleep(backoffDelay(attempt, this.#baseDelay, this.#maxDelay));
  }

  /**
   * Reports a connection problem: `log(false, err)` once per lost connection, `log(true, err)`
   * for each failed reconnect attempt or renewal. Prints only when `debug` is set. Override to
   * route to your logger.
   * @example
   * client.log = (inReconnect, err) => logger.warn({ inReconnect, err });
   */
  log(inReconnect: boolean, err: unknown): void {
    if (!this.debug) return;
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    console.log(inReconnect ? `mqtt reconnect: ${text}` : `mqtt: ${text}`);
  }

  /**
   * Publishes; survives outages. While disconnected the publish waits in the offline queue;
   * a QoS 1 publish resolves on its PUBACK, however many reconnects that takes.
   * @example
   * await client.publish("telemetry", JSON.stringify(sample), false, 1);
   */
  override async publish(...args: Parameters<SimpleClient["publish"]>): Promise<void> {
    for (;;) {
      if (!this.isConnected()) {
        const [topic, msg, retain = false, qos = 0] = args;
        // Bad arguments are refused now, never queued.
        checkPublish(topic, msg, retain, qos);
        await this.#park(qos);
      }
      try {
        return await super.publish(...args);
      } catch (err) {
        if (!this.#retryable(err)) throw this.#unretried(err);
      }
    }
  }

  /**
   * Subscribes and remembers the subscription, so it is renewed after a reconnect that lost
   * the session. A refusal (SUBACK 0x80) rejects with `MQTTException` 128 and is not retried.
   * @example
   * await client.subscribe("cmd/#", 1);
   */
  override async subscribe(
    topic: string,
    qos: QoS = 0,
    options?: SubscribeOptions,
  ): Promise<number> {
    checkSubscribe(topic, qos);
    const call = this.#subscriptions.begin(topic);
    for (;;) {
      await this.#whenConnected("subscribe()");
      try {
        const granted = await super.subscribe(topic, qos, options);
        // Remembered for renewal unless unsubscribe() (or a newer subscribe) came meanwhile.
        this.#subscriptions.granted(topic, qos, call, options);
        return granted;
      } catch (err) {
        if (!this.#retryable(err)) {
          this.#subscriptions.refused(topic, call);
          throw this.#unretried(err);
        }
      }
    }
  }

  /**
   * Unsubscribes; the subscription is forgotten at once (never renewed), and the UNSUBSCRIBE
   * is retried until acknowledged.
   * @example
   * await client.unsubscribe("cmd/#");
   */
  override async unsubscribe(topic: string): Promise<void> {
    checkFilter(topic, "unsubscribe(topic)");
    this.#subscriptions.forget(topic);
    for (;;) {
      await this.#whenConnected("unsubscribe()");
      try {
        return await super.unsubscribe(topic);
      } catch (err) {
        if (!this.#retryable(err)) throw this.#unretried(err);
      }
    }
  }

  /**
   * Waits for and dispatches the next message, across reconnects.
   * @example
   * for (;;) await client.waitMsg();
   */
  override async waitMsg(): Promise<number | null> {
    for (;;) {
      try {
        return await super.waitMsg();
      } catch (err) {
        if (!this.#retryable(err)) throw this.#unretried(err);
        await this.#whenConnected("waitMsg()");
      }
    }
  }

  /**
   * Dispatches a message if one has arrived, else resolves `null`. While disconnected it tries
   * at most `attempts` times, waiting at most 250 ms each for the reconnect running in the
   * background — so it never blocks for long (umqtt.robust's `check_msg(attempts=2)`).
   * @example
   * while (true) { await client.checkMsg(); await work(); }
   */
  override async checkMsg(attempts = 2): Promise<number | null> {
    checkInteger(attempts, "checkMsg(attempts)", 1, Number.MAX_SAFE_INTEGER);
    for (; attempts > 0; attempts--) {
      try {
        return await super.checkMsg();
      } catch (err) {
        if (!this.#retryable(err)) throw this.#unretried(err);
        await this.#whenConnected("checkMsg()", CHECK_WAIT_MS);
      }
    }
    return null;
  }

  /**
   * The received messages as an async iterator that carries on across reconnects; it ends
   * after `disconnect()`.
   * @example
   * for await (const m of client.messages()) await handle(m);
   */
  override messages(): AsyncIterableIterator<Message> {
    return this.#supervisor.carryOn(super.messages(), (err) => {
      if (!this.#retryable(err)) throw this.#unretried(err);
      return this.#whenConnected("messages()");
    });
  }

  // ---- the layer contract ------------------------------------------------------------------

  /** After CONNACK: re-subscribe (no session) before the base re-sends, then release the parked. */
  #up(sessionPresent: boolean): void {
    this.#subscriptions.renew(
      sessionPresent,
      (topic, qos, options) => super.subscribe(topic, qos, options),
      (topic, err) => this.#upper.subscriptionRefused?.(topic, err),
      (err) => this.log(true, err),
    );
    this.#supervisor.up(sessionPresent);
  }

  /** The connection ended: fail what cannot wait for the next one, and redial. */
  #down(err: MqttClientError): void {
    const s = this.#supervisor;
    s.lost();
    if (s.closed) return this.#fail(err);
    // Not curable by reconnecting (an inbox overflow): everything waiting learns why, instead
    // of a silent retry loop; the client still reconnects.
    if (!isRetryable(err)) this.#fail(err);
    // Once per lost connection, whoever was waiting (a failed attempt: reconnect() logs it).
    if (s.connects === 0) this.log(false, err);
    // A server's refusal to have us (session taken over, not authorized) is not redialled;
    // an inbox overflow is, after failing what waited.
    if (err.code === ErrorCode.INBOX_OVERFLOW || isRetryable(err)) this.#ensureReconnecting();
  }

  // ---- internals -----------------------------------------------------------------------------

  #retryable(err: unknown): boolean {
    return isRetryable(err) && !this.#supervisor.closed;
  }

  /** What an operation that will not retry rejects with: after disconnect(), ERR_CLIENT_CLOSED. */
  #unretried(err: unknown): unknown {
    return this.#supervisor.closed && isConnectionError(err) ? clientClosed(err) : err;
  }

  #ensureReconnecting(): void {
    const s = this.#supervisor;
    if (!s.shouldLoop(this.isConnected())) return;
    s.looping = true;
    const generation = s.generation;
    this.reconnect().then(
      () => {
        s.looping = false;
        // The new connection may already be gone again (dropped right after its CONNACK).
        this.#ensureReconnecting();
      },
      (err: unknown) => {
        s.looping = false;
        // A loop outlived by disconnect() + connect() must not fail the new session's work.
        if (s.generation !== generation) return this.#ensureReconnecting();
        this.#fail(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  #whenConnected(where: string, timeout?: number): Promise<unknown> {
    return this.#supervisor.whenUp(
      where,
      this.isConnected(),
      () => this.#ensureReconnecting(),
      timeout,
    );
  }

  #park(qos: QoS): Promise<void> {
    return this.#supervisor.park(qos, () => this.#ensureReconnecting());
  }

  /** Fails everything that waits on a connection. */
  #fail(err: Error): void {
    // The error itself (e.g. MQTTException 4 from a reconnect), never a wrapper: every
    // pending operation rejects with the same class and code.
    this.#core.fail(err);
    this.#supervisor.fail(err);
  }
}
