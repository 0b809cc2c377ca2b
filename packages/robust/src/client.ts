/**
 * Design: umqtt.robust's contract on top of the simple client — the same API, and network
 * faults do not surface. One supervisor (`reconnect()` run by `ensureReconnecting`) redials
 * whenever the connection is lost while the client is wanted; operations wait for it:
 * - QoS 1 publishes stay in the session's in-flight table across connections and are re-sent
 *   first after the CONNACK, in order, with DUP = 1 and their original ids;
 * - with no session on the broker, every active subscription is re-subscribed before that;
 * - publishes made while down wait in a bounded {@link OfflineQueue};
 * - subscribe, unsubscribe, waitMsg and messages() retry once the client is back.
 * Errors that a reconnect cannot cure (bad arguments, CONNACK 1/2/4/5, SUBACK 0x80) reject.
 */
import {
  ErrorCode,
  InvalidArgumentError,
  isConnectionError,
  type Message,
  MQTTException,
  MqttClientError,
  RequestKind,
  MQTTClient as SimpleClient,
  type MQTTClientOptions as SimpleOptions,
} from "@umqtt/simple";
import { backoffDelay, MAX_TIMER_MS } from "./backoff.js";
import { type OfflinePolicy, OfflineQueue } from "./offline-queue.js";
import { formatServer, parseServers, ServerRotation } from "./servers.js";

/** Options of the robust client: the simple client's, plus reconnect and offline settings. */
export interface MQTTClientOptions extends SimpleOptions {
  /** Print reconnect activity through `log()` (umqtt.robust's DEBUG). Default false. */
  debug?: boolean;
  /** Backoff base in ms: the first retry waits up to this long (full jitter). Default 2000. */
  reconnectDelay?: number;
  /** Backoff cap in ms. Default 60 000. */
  maxReconnectDelay?: number;
  /** Failed attempts after which reconnecting gives up and pending work rejects. Default: never. */
  maxReconnectAttempts?: number;
  /** Publishes that may wait while disconnected. Default 1000. */
  maxOfflineQueue?: number;
  /** What a full offline queue does: drop the oldest QoS 0 publish (default) or reject the new one. QoS 1 is never dropped. */
  offlinePolicy?: OfflinePolicy;
  /**
   * Brokers to try in turn (cluster nodes): `"host:port"`, `"mqtt://host:port"` or
   * `"mqtts://host:port"`. Replaces `server`/`port`; see the README's "Several servers".
   */
  servers?: string[];
}

// How long one checkMsg() attempt waits for a reconnect before moving on.
const CHECK_WAIT_MS = 250;

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

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
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly maxAttempts: number;
  private readonly offline: OfflineQueue;
  /** Active subscriptions (filter → QoS), re-subscribed when the broker lost the session. */
  protected readonly subscriptions = new Map<string, 0 | 1>();
  /** The latest subscribe() per filter: an unsubscribe() or a newer subscribe() supersedes it. */
  private readonly subscribeCalls = new Map<string, object>();
  private upWaiters: Waiter[] = [];
  private wanted = false;
  private closing = false;
  private reconnecting = false;
  private connecting = 0;
  /** Counts disconnect() calls: a connect attempt that outlives one must not revive the client. */
  private closes = 0;
  private resubscribeUnconfirmed = false;
  private cancelDelay: (() => void) | undefined;
  /** When the current connection's CONNACK came (0: not connected). */
  private upSince = 0;
  /** Connections in a row that died young: each counts as a failed reconnect attempt. */
  private youngDeaths = 0;
  private lastSessionPresent = false;
  /** servers option: which server each dial goes to (see servers.ts). */
  private readonly servers: ServerRotation | undefined;

  constructor(clientId: string, server: string, options: MQTTClientOptions = {}) {
    // servers option: every dial goes through the rotation's transport.
    const servers = serverRotation(options);
    super(clientId, server, servers ? { ...options, transport: servers.transport() } : options);
    this.servers = servers;
    this.debug = options.debug ?? false;
    if (typeof this.debug !== "boolean") {
      throw invalid("debug", "a boolean", this.debug);
    }
    this.baseDelay = delayOption(options.reconnectDelay ?? 2000, "reconnectDelay");
    this.maxDelay = delayOption(options.maxReconnectDelay ?? 60_000, "maxReconnectDelay");
    const attempts = options.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;
    if (attempts !== Number.POSITIVE_INFINITY && !(Number.isInteger(attempts) && attempts >= 1)) {
      throw invalid("maxReconnectAttempts", "an integer ≥ 1 (or Infinity)", attempts);
    }
    this.maxAttempts = attempts;
    const limit = options.maxOfflineQueue ?? 1000;
    if (!Number.isInteger(limit) || limit < 0) {
      throw invalid("maxOfflineQueue", "an integer ≥ 0", limit);
    }
    const policy = options.offlinePolicy ?? "drop-oldest";
    if (policy !== "drop-oldest" && policy !== "reject") {
      throw invalid("offlinePolicy", '"drop-oldest" or "reject"', policy);
    }
    this.offline = new OfflineQueue(limit, policy);
  }

  /**
   * Connects (see the simple client). Also marks the client as wanted: from now on a lost
   * connection is redialled until `disconnect()`. `reconnect()` calls this method with
   * `cleanSession = false`, so an override runs on every reconnect.
   * @example
   * if (!(await client.connect(false))) await client.subscribe("cmd/#", 1);
   */
  override async connect(cleanSession = true, timeout?: number): Promise<boolean> {
    this.closing = false;
    // A reconnect waiting out its backoff gives way to this connect.
    this.cancelDelay?.();
    const closes = this.closes;
    this.connecting++;
    try {
      // servers option: one round over the list; each failed server but the last is logged.
      const sessionPresent = this.servers
        ? await this.servers.round(
            () => super.connect(cleanSession, timeout),
            (err) => {
              const next = this.closes === closes && !this.closing && curable(err);
              if (next) this.log(this.reconnecting, err);
              return next;
            },
          )
        : await super.connect(cleanSession, timeout);
      if (this.closes !== closes) {
        // disconnect() ran while this connect() was settling (its CONNACK already read): the
        // client stays closed.
        await super.disconnect();
        throw new MqttClientError(
          ErrorCode.CLIENT_CLOSED,
          "disconnect() was called while connecting",
        );
      }
      this.wanted = true;
      if (this.servers)
        this.log(this.reconnecting, `connected to ${formatServer(this.servers.current)}`);
      return sessionPresent;
    } finally {
      this.connecting--;
      // A connection lost while connect() was still settling found `connecting > 0` and did
      // not start the supervisor: start it now.
      this.ensureReconnecting();
    }
  }

  /**
   * Disconnects and stops reconnecting; everything pending (in-flight publishes, the offline
   * queue, waits for a reconnect) rejects with code `ERR_CLIENT_CLOSED`.
   * @example
   * await client.disconnect();
   */
  override async disconnect(): Promise<void> {
    this.closing = true;
    this.wanted = false;
    this.closes++;
    this.cancelDelay?.();
    // Simple's disconnect() ends in connectionLost(), which fails everything still waiting.
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
    const closes = this.closes;
    // Connections that keep dying young (a broker that accepts, then drops us: a duplicate
    // client id, an ACL) count as failed attempts, so their redials back off too: no
    // reconnect storm. One quick drop still gets umqtt's immediate first redial.
    let attempt = Math.max(0, this.youngDeaths - 1);
    let lastError: unknown;
    for (;;) {
      if (attempt > 0) {
        if (attempt >= this.maxAttempts) {
          throw new MqttClientError(
            ErrorCode.RECONNECT_FAILED,
            `gave up reconnecting after ${attempt} failed attempts`,
            { cause: lastError },
          );
        }
        await this.delay(attempt);
      }
      if (this.closing || this.closes !== closes) {
        throw new MqttClientError(ErrorCode.CLIENT_CLOSED, "disconnect() stopped reconnecting");
      }
      // The application connected by itself meanwhile: its connection stands.
      if (this.isConnected() || this.connecting > 0) return this.lastSessionPresent;
      try {
        return await this.connect(false);
      } catch (err) {
        if (this.closing || this.closes !== closes || !curable(err)) throw err;
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
    const ms = backoffDelay(attempt, this.baseDelay, this.maxDelay);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.cancelDelay = done;
    });
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
  override async publish(
    topic: string | Uint8Array,
    msg: string | Uint8Array,
    retain = false,
    qos: 0 | 1 = 0,
  ): Promise<void> {
    for (;;) {
      if (!this.isConnected()) {
        // Bad arguments are refused now, never queued.
        this.preparePublish(topic, msg, retain, qos);
        await this.waitOffline(qos);
      }
      try {
        return await super.publish(topic, msg, retain, qos);
      } catch (err) {
        if (!this.retryable(err)) throw this.unretried(err);
      }
    }
  }

  /**
   * Subscribes and remembers the subscription, so it is renewed after a reconnect that lost
   * the session. A refusal (SUBACK 0x80) rejects with `MQTTException` 128 and is not retried.
   * @example
   * await client.subscribe("cmd/#", 1);
   */
  override async subscribe(topic: string, qos: 0 | 1 = 0): Promise<number> {
    this.checkSubscribe(topic, qos);
    const call = {};
    this.subscribeCalls.set(topic, call);
    for (;;) {
      await this.whenConnected();
      try {
        const granted = await super.subscribe(topic, qos);
        // Remembered for renewal unless unsubscribe() (or a newer subscribe) came meanwhile.
        if (this.subscribeCalls.get(topic) === call) this.subscriptions.set(topic, qos);
        return granted;
      } catch (err) {
        if (!this.retryable(err)) {
          if (this.subscribeCalls.get(topic) === call) this.subscribeCalls.delete(topic);
          throw this.unretried(err);
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
    this.checkUnsubscribe(topic);
    this.subscriptions.delete(topic);
    this.subscribeCalls.delete(topic);
    for (;;) {
      await this.whenConnected();
      try {
        return await super.unsubscribe(topic);
      } catch (err) {
        if (!this.retryable(err)) throw this.unretried(err);
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
        if (!this.retryable(err)) throw this.unretried(err);
        await this.whenConnected();
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
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new InvalidArgumentError(
        `checkMsg(attempts): must be an integer ≥ 1, got ${shown(attempts)}`,
      );
    }
    for (; attempts > 0; attempts--) {
      try {
        return await super.checkMsg();
      } catch (err) {
        if (!this.retryable(err)) throw this.unretried(err);
        await this.whenConnected(CHECK_WAIT_MS);
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
    const inner = super.messages();
    const iterator: AsyncIterableIterator<Message> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          try {
            return await inner.next();
          } catch (err) {
            if (this.closing) return { done: true, value: undefined };
            if (!this.retryable(err)) throw this.unretried(err);
            try {
              await this.whenConnected();
            } catch (closed) {
              // disconnect() while waiting for the reconnect ends the iteration.
              if (this.closing) return { done: true, value: undefined };
              throw closed;
            }
          }
        }
      },
      return: () => inner.return!(),
    };
    return iterator;
  }

  // ---- session hooks ----------------------------------------------------------------------

  /** A renewed subscription was refused after a reconnect (the ACL changed); it is forgotten. */
  protected subscriptionRefused(_topic: string, _err: MQTTException): void {}

  protected override keepsRequestsOffline(): boolean {
    return true;
  }

  /** After CONNACK: re-subscribe (no session), re-send unacked QoS 1, then release the waiters. */
  protected override sessionStarted(sessionPresent: boolean): void {
    super.sessionStarted(sessionPresent);
    this.upSince = performance.now();
    this.lastSessionPresent = sessionPresent;
    if (!sessionPresent || this.resubscribeUnconfirmed) this.resubscribe();
    this.resendUnacked();
    this.offline.release();
    for (const waiter of this.upWaiters.splice(0)) waiter.resolve();
  }

  /** Keeps QoS 1 publishes for re-sending; requests that the caller retries reject. */
  protected override connectionLost(err: MqttClientError): void {
    if (this.upSince) {
      const lived = performance.now() - this.upSince;
      this.youngDeaths = lived < this.baseDelay ? this.youngDeaths + 1 : 0;
      this.upSince = 0;
    }
    if (this.closing || !isConnectionError(err)) return this.fail(err);
    if (err.code === ErrorCode.INBOX_OVERFLOW) {
      // Self-inflicted and not cured by reconnecting (the broker would resend the same flood):
      // everything waiting learns why, instead of a silent retry loop.
      this.log(false, err);
      this.fail(err);
      return this.ensureReconnecting();
    }
    // Once per lost connection, whoever was waiting (a failed attempt: reconnect() logs it).
    if (this.connecting === 0) this.log(false, err);
    this.inflight.rejectRequests(err, [RequestKind.SUBSCRIBE, RequestKind.UNSUBSCRIBE]);
    this.ensureReconnecting();
  }

  // ---- internals -----------------------------------------------------------------------------

  private resubscribe(): void {
    if (this.subscriptions.size === 0) return;
    this.resubscribeUnconfirmed = true;
    const renewals = [...this.subscriptions].map(([topic, qos]) =>
      super.subscribe(topic, qos).catch((err: unknown) => {
        // A refusal now (ACL changed) drops the subscription; anything else retries next time.
        if (err instanceof MQTTException) {
          this.subscriptions.delete(topic);
          this.subscriptionRefused(topic, err);
        }
        this.log(true, err);
        throw err;
      }),
    );
    Promise.all(renewals).then(
      () => {
        this.resubscribeUnconfirmed = false;
      },
      () => {},
    );
  }

  private retryable(err: unknown): boolean {
    return isConnectionError(err) && err.code !== ErrorCode.INBOX_OVERFLOW && !this.closing;
  }

  /** What an operation that will not retry rejects with: after disconnect(), ERR_CLIENT_CLOSED. */
  private unretried(err: unknown): unknown {
    return this.closing && isConnectionError(err) ? clientClosed(err) : err;
  }

  private ensureReconnecting(): void {
    if (
      this.reconnecting ||
      this.closing ||
      !this.wanted ||
      this.connecting > 0 ||
      this.isConnected()
    )
      return;
    this.reconnecting = true;
    const closes = this.closes;
    this.reconnect().then(
      () => {
        this.reconnecting = false;
        // The new connection may already be gone again (dropped right after its CONNACK).
        this.ensureReconnecting();
      },
      (err: unknown) => {
        this.reconnecting = false;
        // A loop outlived by disconnect() + connect() must not fail the new session's work.
        if (this.closes !== closes) return this.ensureReconnecting();
        this.fail(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /**
   * Resolves once connected. Rejects when the client was never connected (call `connect()`
   * first), is closed, or reconnecting gives up. With `timeout`, resolves after it anyway.
   */
  private whenConnected(timeout?: number): Promise<void> {
    if (this.isConnected()) return Promise.resolve();
    if (this.closing) return Promise.reject(clientClosed());
    if (!this.wanted) return Promise.reject(this.notConnectedYet());
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const waiter: Waiter = { resolve: done, reject };
      this.upWaiters.push(waiter);
      this.ensureReconnecting();
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          const at = this.upWaiters.indexOf(waiter);
          if (at >= 0) this.upWaiters.splice(at, 1);
          resolve();
        }, timeout);
      }
    });
  }

  private waitOffline(qos: 0 | 1): Promise<void> {
    if (this.closing) return Promise.reject(clientClosed());
    if (!this.wanted) return Promise.reject(this.notConnectedYet());
    return new Promise<void>((resolve, reject) => {
      const loser = this.offline.add({ qos, resolve, reject });
      loser?.reject(
        new MqttClientError(
          ErrorCode.OFFLINE_QUEUE_FULL,
          `publish(): the offline queue is full (${this.offline.limit} publishes waiting, policy "${this.offline.policy}"); this publish was not sent`,
        ),
      );
      this.ensureReconnecting();
    });
  }

  private notConnectedYet(): MqttClientError {
    return this.notConnected("not connected yet: call connect() first");
  }

  /** Fails everything that waits on a connection. */
  private fail(err: Error): void {
    // The error itself (e.g. MQTTException 4 from a reconnect), never a wrapper: every
    // pending operation rejects with the same class and code.
    this.inflight.rejectRequests(err);
    this.inflight.rejectWaiters(err);
    this.offline.rejectAll(err);
    for (const waiter of this.upWaiters.splice(0)) waiter.reject(err);
  }
}

/** The servers option parsed, or undefined without it. */
function serverRotation(options: MQTTClientOptions): ServerRotation | undefined {
  if (options?.servers === undefined) return undefined;
  if (options.transport !== undefined) {
    throw new InvalidArgumentError(
      "MQTTClient(options.servers): cannot be combined with options.transport",
    );
  }
  const ssl = options.ssl !== undefined && options.ssl !== false;
  const port = typeof options.port === "number" ? options.port : 0;
  return new ServerRotation(parseServers(options.servers, ssl, port), options);
}

/** Failures a new connection can cure: network errors and CONNACK 3 (server unavailable). */
function curable(err: unknown): boolean {
  return isConnectionError(err) || (err instanceof MQTTException && err.code === 3);
}

function delayOption(value: unknown, name: string): number {
  if (typeof value !== "number" || !(value > 0) || value > MAX_TIMER_MS) {
    throw invalid(name, `a number of milliseconds from 1 to ${MAX_TIMER_MS}`, value);
  }
  return value;
}

function invalid(name: string, what: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `MQTTClient(options.${name}): must be ${what}, got ${shown(value)}`,
  );
}

/** A value as an error message shows it: strings quoted, so "5" and 5 differ. */
function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The error of an operation that disconnect() ended. */
function clientClosed(cause?: unknown): MqttClientError {
  return new MqttClientError(ErrorCode.CLIENT_CLOSED, "the client was closed by disconnect()", {
    cause,
  });
}
