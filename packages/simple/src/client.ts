/**
 * Design: the facade. It validates arguments, owns the session (packet ids and in-flight
 * requests in {@link Inflight}, received messages in {@link Inbox}) and one {@link Connection}
 * at a time. Acknowledgements are handled the moment they are read; messages wait in the inbox
 * until the application pulls them (`waitMsg`, `checkMsg`, `messages()`), and a full inbox
 * pauses the socket. Every pending promise settles when the connection ends.
 *
 * Subclasses (robust) hook in through the protected members: `sessionStarted` runs right
 * after an accepted CONNACK, before anything else is written; `connectionLost` decides what
 * happens to in-flight requests; `keepsRequestsOffline` lets QoS 1 publishes wait for the next
 * connection instead of failing.
 */

import type { SecureContext, ConnectionOptions as TlsConnectionOptions } from "node:tls";
import type { Packet } from "@umqtt/codec";
import { DISCONNECT, encode, encodePublish, MAX_REMAINING_LENGTH, type QoS } from "@umqtt/codec";
import { Connection, type ConnectionHandlers, deadLink } from "./connection.js";
import { ConnectionError, ErrorCode, MQTTException, MqttClientError } from "./errors.js";
import { Inbox, type Incoming } from "./inbox.js";
import { Inflight, type Pending, RequestKind } from "./inflight.js";
import { macrotask } from "./macrotask.js";
import { serverTransport } from "./server-transport.js";
import { parseServer } from "./server-url.js";
import type { TransportFactory } from "./transport.js";
import {
  checkBoolean,
  checkBytes,
  checkDuration,
  checkFilter,
  checkInteger,
  checkQos01,
  checkTopic,
  codecRule,
  fail,
  mustBe,
} from "./validate.js";
import type { WebSocketConstructor } from "./websocket.js";

/** Flags of a delivered message (the callback's third argument). */
export interface MessageInfo {
  qos: QoS;
  retain: boolean;
  dup: boolean;
}

/** A delivered message, as yielded by {@link MQTTClient.messages}. */
export interface Message extends MessageInfo {
  /** The topic's UTF-8 bytes (a view into the received data, not a copy). */
  topic: Uint8Array;
  /** The payload (a view into the received data, not a copy). */
  payload: Uint8Array;
}

/** Receives each message that `waitMsg()`/`checkMsg()` dispatches. A returned promise is awaited before the QoS 1 PUBACK. */
export type MessageCallback = (
  topic: Uint8Array,
  msg: Uint8Array,
  info: MessageInfo,
) => void | Promise<void>;

/** Options of {@link MQTTClient}; all optional. Durations in milliseconds except `keepalive`. */
export interface MQTTClientOptions {
  /** 0 or absent: the URL's port, else 1883, or 8883 when `ssl` is set (80/443 for ws/wss). */
  port?: number;
  /** User name; credentials are sent only when it is a non-empty string. */
  user?: string;
  /** Password; needs `user` [MQTT-3.1.2-22]. */
  password?: string | Uint8Array;
  /** Seconds, 0–65535; default 60; 0 turns keepalive (and dead-link detection) off. */
  keepalive?: number;
  /** `true` for TLS with Node's defaults (server certificate verified), or a SecureContext. */
  ssl?: boolean | SecureContext;
  /** Extra `tls.connect` options (ca, cert, key, servername, rejectUnauthorized, …). */
  sslParams?: TlsConnectionOptions;
  /** Largest packet accepted from the broker, in bytes (a larger one closes the connection). */
  maxPacketSize?: number;
  /** QoS 1 publishes awaiting PUBACK at once; default 32. */
  maxInflight?: number;
  /** Time allowed for TCP/TLS connect plus CONNACK; default 30 000 ms. */
  connectTimeout?: number;
  /** Received messages held until the application takes them; default 1000 (soft limit). */
  maxQueuedMessages?: number;
  /** Received bytes held until the application takes them; default 1 MiB (soft limit). */
  maxQueuedBytes?: number;
  /**
   * A WHATWG WebSocket constructor for ws:// and wss:// (e.g. `WebSocket` from the `ws`
   * package, for Node 20, which has no global one); default: the runtime's global WebSocket.
   * With it, `ssl`/`sslParams` go to its constructor's third argument (the `ws` package's).
   */
  webSocket?: WebSocketConstructor;
  /** Opens the byte stream instead of TCP/TLS (in-memory tests, a WebSocket transport, …). */
  transport?: TransportFactory;
}

/** The largest packet MQTT can frame: a 5-byte fixed header and the longest remaining length. */
const MAX_PACKET = MAX_REMAINING_LENGTH + 5;

/** Where a constructor option's error points. */
const option = (name: string): string => `MQTTClient(options.${name})`;

type IntegerOption =
  | "port"
  | "keepalive"
  | "maxPacketSize"
  | "maxInflight"
  | "maxQueuedMessages"
  | "maxQueuedBytes";

/** The integer options, checked in this order: default, min, max. */
const INTEGER_OPTIONS: [name: IntegerOption, fallback: number, min: number, max: number][] = [
  ["port", 0, 0, 65535],
  ["keepalive", 60, 0, 65535],
  // The default is the largest packet MQTT can frame (the decoder's own default).
  ["maxPacketSize", MAX_PACKET, 2, MAX_PACKET],
  ["maxInflight", 32, 1, 65535],
  ["maxQueuedMessages", 1000, 1, 1 << 24],
  ["maxQueuedBytes", 1 << 20, 1024, 1 << 30],
];

/** Options that, when given, only need the right `typeof`: the type and the rule's wording. */
const TYPED_OPTIONS: [name: "user" | "sslParams" | "transport", type: string, what: string][] = [
  ["user", "string", "a string"],
  ["sslParams", "object", "an object of tls.connect options"],
  ["transport", "function", "a transport factory function"],
];

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** messages() ends, rather than throws, once disconnect() closed the client. */
const endWhenClosed = (err: MqttClientError): IteratorReturnResult<undefined> => {
  if (err.code === ErrorCode.CLIENT_CLOSED) return DONE;
  throw err;
};

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/**
 * An MQTT 3.1.1 client with MicroPython umqtt.simple's API: one connection, QoS 0 and 1 both
 * ways, messages pulled by the application.
 *
 * @example
 * const client = new MQTTClient("sensor-1", "broker.local");
 * client.setCallback((topic, msg) => console.log(new TextDecoder().decode(topic), msg));
 * await client.connect();
 * await client.subscribe("cmd/#", 1);
 * await client.publish("temp", "21.5");
 * for (;;) await client.waitMsg();
 */
export class MQTTClient {
  // `declare`: assigned in the constructor only, so no class fields are emitted as well
  declare readonly clientId: string;
  declare readonly server: string;
  declare readonly port: number;
  declare readonly keepalive: number;
  declare protected readonly inflight: Inflight;
  declare protected readonly inbox: Inbox;
  readonly #connectTimeout: number;
  readonly #maxPacketSize: number;
  readonly #credentials: { username?: string; password?: string | Uint8Array };
  readonly #transportFactory: TransportFactory;
  #callback: MessageCallback | undefined;
  #will:
    | { topic: string | Uint8Array; payload: string | Uint8Array; qos: QoS; retain: boolean }
    | undefined;
  #conn: Connection | undefined;
  #connected = false;
  #epoch = 0;
  #connack: Waiter<boolean> | undefined;
  #pingWaiters: (Waiter<void> & { timer: ReturnType<typeof setTimeout> })[] = [];
  #msgWaiters: Waiter<Incoming>[] = [];
  /** The dispatch lock: the first entry holds it, the others wait for it in call order. */
  readonly #lock: Waiter<void>[] = [];
  /** The connect() under way: disconnect() aborts it. */
  #attempt: AbortController | undefined;
  #dispatching = 0;
  #pumping = false;
  #callbackError: { error: unknown } | undefined;
  #lastClose: MqttClientError | undefined;

  /**
   * @param clientId client identifier (may be empty with a clean session: the broker assigns one).
   * @param server host name or IP address of the broker, or a URL: `mqtt://host[:port]`,
   *   `mqtts://host[:port]`, `ws://host[:port]/path`, `wss://host[:port]/path`.
   * @example
   * const client = new MQTTClient("id", "127.0.0.1", { port: 1883, keepalive: 30 });
   */
  constructor(clientId: string, server: string, options: MQTTClientOptions = {}) {
    if (typeof clientId !== "string") mustBe("MQTTClient(clientId)", "a string", clientId);
    if (typeof server !== "string" || server === "") {
      mustBe("MQTTClient(server)", "a non-empty host name, address or URL", server);
    }
    if (options === null || typeof options !== "object") {
      mustBe("MQTTClient(options)", "an object", options);
    }
    const o = options;
    const ssl = o.ssl ?? false;
    if (typeof ssl !== "boolean" && (typeof ssl !== "object" || !("context" in ssl))) {
      mustBe(option("ssl"), "a boolean or a tls.SecureContext", ssl);
    }
    const n = {} as Record<IntegerOption, number>;
    for (const [name, fallback, min, max] of INTEGER_OPTIONS) {
      n[name] = checkInteger(o[name] ?? fallback, option(name), min, max);
    }
    for (const [name, type, what] of TYPED_OPTIONS) {
      const value = o[name];
      if (value !== undefined && (typeof value !== type || value === null)) {
        mustBe(option(name), what, value);
      }
    }
    if (o.password !== undefined) {
      checkBytes(o.password, option("password"));
      if (!o.user) fail(option("password"), "a password needs a user name [MQTT-3.1.2-22]");
    }
    this.#connectTimeout =
      o.connectTimeout === undefined
        ? 30_000
        : checkDuration(o.connectTimeout, option("connectTimeout"));
    // As umqtt: credentials only with a non-empty user name.
    this.#credentials = o.user ? { username: o.user, password: o.password } : {};
    // Encoding a CONNECT once checks the client id and credentials against the wire rules now.
    codecRule("MQTTClient(clientId, options)", () =>
      encode({ type: "connect", clientId, cleanSession: true, keepalive: 0, ...this.#credentials }),
    );
    this.clientId = clientId;
    this.server = server;
    const target = parseServer(server, n.port, o.ssl, o.sslParams !== undefined);
    this.port = target.port;
    this.keepalive = n.keepalive;
    this.#maxPacketSize = n.maxPacketSize;
    this.inflight = new Inflight(n.maxInflight);
    this.inbox = new Inbox(n.maxQueuedMessages, n.maxQueuedBytes);
    this.#transportFactory = o.transport ?? serverTransport(target, o);
  }

  /**
   * Sets the function that receives messages dispatched by `waitMsg()`/`checkMsg()`.
   * @example
   * client.setCallback((topic, msg, { qos, retain }) => console.log(topic, msg, qos, retain));
   */
  setCallback(cb: MessageCallback): void {
    if (typeof cb !== "function") mustBe("setCallback(cb)", "a function", cb);
    this.#callback = cb;
  }

  /**
   * Sets the last will, sent with the next `connect()`; the broker publishes it if this client
   * vanishes without `disconnect()`.
   * @example
   * client.setLastWill("status/sensor-1", "offline", true, 1);
   */
  setLastWill(
    topic: string | Uint8Array,
    msg: string | Uint8Array,
    retain = false,
    qos: QoS = 0,
  ): void {
    checkTopic(topic, "setLastWill(topic)");
    checkBytes(msg, "setLastWill(msg)");
    checkBoolean(retain, "setLastWill(retain)");
    checkInteger(qos, "setLastWill(qos)", 0, 2);
    codecRule("setLastWill(topic, msg)", () =>
      encode({
        type: "connect",
        clientId: "x",
        cleanSession: true,
        keepalive: 0,
        will: { topic, payload: msg, qos, retain },
      }),
    );
    this.#will = { topic, payload: msg, qos, retain };
  }

  /**
   * Opens the connection (closing any previous one) and resolves to the CONNACK's
   * session-present flag. Rejects with {@link MQTTException} when the broker refuses, and with
   * a {@link ConnectionError} on network failure or after `timeout` ms.
   * @example
   * const sessionPresent = await client.connect(false);
   */
  async connect(cleanSession = true, timeout?: number): Promise<boolean> {
    checkBoolean(cleanSession, "connect(cleanSession)");
    const ms =
      timeout === undefined ? this.#connectTimeout : checkDuration(timeout, "connect(timeout)");
    if (this.clientId === "" && !cleanSession) {
      fail("connect(cleanSession)", "an empty client id needs cleanSession = true [MQTT-3.1.3-7]");
    }
    const packet = encode({
      type: "connect",
      clientId: this.clientId,
      cleanSession,
      keepalive: this.keepalive,
      ...this.#credentials,
      ...(this.#will ? { will: this.#will } : {}),
    });
    this.#conn?.close(superseded());

    const epoch = ++this.#epoch;
    const abort = new AbortController();
    this.#attempt = abort;
    const timer = setTimeout(
      () =>
        abort.abort(
          new ConnectionError(
            ErrorCode.CONNECT_TIMEOUT,
            `no CONNACK within ${ms} ms (connect timeout)`,
          ),
        ),
      ms,
    );
    let conn: Connection | undefined;
    let onAbort: (() => void) | undefined;
    try {
      conn = await Connection.open(
        this.#transportFactory,
        this.#handlersFor(epoch),
        { maxPacketSize: this.#maxPacketSize, keepalive: this.keepalive * 1000 },
        abort.signal,
      );
      if (epoch !== this.#epoch) {
        conn.close(superseded());
        throw conn.closedBy;
      }
      this.#conn = conn;
      const accepted = new Promise<boolean>((resolve, reject) => {
        this.#connack = { resolve, reject };
      });
      onAbort = () => conn?.close(abort.signal.reason);
      abort.signal.addEventListener("abort", onAbort, { once: true });
      conn.send(packet);
      return await accepted;
    } catch (err) {
      if (abort.signal.aborted && err !== abort.signal.reason && !(err instanceof MQTTException)) {
        throw abort.signal.reason;
      }
      throw err;
    } finally {
      clearTimeout(timer);
      // Nothing of the connect attempt may stay reachable from the connection.
      if (onAbort) abort.signal.removeEventListener("abort", onAbort);
      if (this.#attempt === abort) this.#attempt = undefined;
    }
  }

  /**
   * Sends DISCONNECT and closes the connection (the will is discarded). Pending operations,
   * and a `connect()` still under way, reject with code `ERR_CLIENT_CLOSED`. Safe to call when
   * not connected.
   * @example
   * await client.disconnect();
   */
  async disconnect(): Promise<void> {
    const closed = new MqttClientError(ErrorCode.CLIENT_CLOSED, "disconnect() closed the client");
    const conn = this.#conn;
    if (conn?.open) {
      if (this.#connected) conn.send(DISCONNECT);
      // Graceful: DISCONNECT is flushed before the socket ends, so the broker discards the will.
      conn.close(closed, true);
    } else {
      // No connection to report it (dropped, or still opening): the client is closed all the same.
      this.#onClose(closed);
    }
    // A connect() under way rejects with it too.
    this.#attempt?.abort(closed);
  }

  /**
   * Sends PINGREQ and resolves on the PINGRESP. No answer in time (keepalive, or the connect
   * timeout when keepalive is 0) means the link is dead: the connection closes.
   * @example
   * await client.ping();
   */
  async ping(): Promise<void> {
    const conn = this.#requireConnection("ping()");
    const wait = this.keepalive > 0 ? this.keepalive * 1000 : this.#connectTimeout;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => conn.close(deadLink(wait)), wait);
      timer.unref?.();
      this.#pingWaiters.push({ resolve, reject, timer });
      conn.ping();
      this.#relieve();
    });
  }

  /**
   * Publishes a message. QoS 0 resolves once it is handed to the socket (waiting while the
   * socket is full); QoS 1 resolves on its PUBACK. Up to `maxInflight` QoS 1 publishes are in
   * flight; further ones wait for a slot, in call order.
   * @example
   * await client.publish("sensors/t1", "21.5", false, 1);
   */
  async publish(
    topic: string | Uint8Array,
    msg: string | Uint8Array,
    retain = false,
    qos: 0 | 1 = 0,
  ): Promise<void> {
    const packet = this.preparePublish(topic, msg, retain, qos);
    if (qos === 0) {
      const conn = this.#requireConnection("publish()");
      const queued = conn.enqueue(packet, true);
      if (queued) await queued;
      return;
    }
    if (!this.keepsRequestsOffline()) this.#requireConnection("publish()");
    const slot = this.inflight.acquireSlot();
    if (slot) await slot;
    if (!this.#connected && !this.keepsRequestsOffline()) {
      this.inflight.releaseSlot();
      throw this.notConnected("publish()");
    }
    const pid = this.inflight.allocate();
    const at = pidOffset(packet);
    packet[at] = pid >> 8;
    packet[at + 1] = pid & 0xff;
    await this.#request(RequestKind.PUBLISH, pid, packet);
  }

  /**
   * Subscribes to one topic filter and resolves to the granted QoS. A refusal (SUBACK 0x80)
   * rejects with `MQTTException` code 128.
   * @example
   * const granted = await client.subscribe("sensors/+/temp", 1);
   */
  async subscribe(topic: string, qos: 0 | 1 = 0): Promise<number> {
    this.checkSubscribe(topic, qos);
    this.#requireConnection("subscribe()");
    const pid = this.inflight.allocate();
    const packet = codecRule("subscribe(topic)", () =>
      encode({ type: "subscribe", packetId: pid, subscriptions: [{ topicFilter: topic, qos }] }),
    );
    return this.#request(RequestKind.SUBSCRIBE, pid, packet);
  }

  /**
   * Unsubscribes from one topic filter; resolves on the UNSUBACK. Messages already in flight
   * may still arrive afterwards [MQTT-3.10.4-3].
   * @example
   * await client.unsubscribe("sensors/+/temp");
   */
  async unsubscribe(topic: string): Promise<void> {
    this.checkUnsubscribe(topic);
    this.#requireConnection("unsubscribe()");
    const pid = this.inflight.allocate();
    const packet = codecRule("unsubscribe(topic)", () =>
      encode({ type: "unsubscribe", packetId: pid, topicFilters: [topic] }),
    );
    await this.#request(RequestKind.UNSUBSCRIBE, pid, packet);
  }

  /**
   * Waits for the next message, passes it to the callback (awaiting a returned promise), sends
   * its PUBACK if QoS 1, and resolves to its first header byte (0x30 | dup<<3 | qos<<1 | retain).
   * An error thrown by the callback rejects this call; that message is not acknowledged.
   * @example
   * client.setCallback(onMessage);
   * for (;;) await client.waitMsg();
   */
  waitMsg(): Promise<number | null> {
    return this.#serialize(async () => {
      this.#beforeDispatch("waitMsg()");
      return this.#dispatch(await this.#takeMessage());
    });
  }

  /**
   * Like `waitMsg()`, but never waits for the network: resolves to `null` when no message has
   * arrived, after yielding to the event loop once (so `while (true) await checkMsg()` cannot
   * starve socket I/O or timers).
   * @example
   * while (running) { await client.checkMsg(); await doOtherWork(); }
   */
  checkMsg(): Promise<number | null> {
    return this.#serialize(async () => {
      this.#beforeDispatch("checkMsg()");
      let message = this.inbox.shift();
      if (!message) {
        if (!this.#connected) throw this.#closedError("checkMsg()");
        await new Promise<void>((resolve) => macrotask(resolve));
        message = this.inbox.shift();
        if (!message) return null;
      }
      this.#relieve();
      return this.#dispatch(message);
    });
  }

  /**
   * The received messages as an async iterator, the alternative to a callback. A QoS 1
   * message is acknowledged when the loop asks for the next one (or ends), i.e. once it has
   * been processed. The iteration ends after `disconnect()`.
   * @example
   * for await (const { topic, payload } of client.messages()) handle(topic, payload);
   */
  messages(): AsyncIterableIterator<Message> {
    let taken: Incoming | undefined;
    const settle = (): void => {
      if (taken) this.#acknowledge(taken);
      taken = undefined;
    };
    const iterator: AsyncIterableIterator<Message> = {
      [Symbol.asyncIterator]: () => iterator,
      next: () =>
        this.#serialize(async (): Promise<IteratorResult<Message>> => {
          settle();
          taken = await this.#takeMessage();
          const { topic, payload, qos, retain, dup } = taken;
          return { done: false, value: { topic, payload, qos, retain, dup } };
        }).catch(endWhenClosed),
      return: async (): Promise<IteratorResult<Message>> => {
        settle();
        return DONE;
      },
    };
    return iterator;
  }

  /**
   * True while a connection is open and accepted by the broker. Sends nothing.
   * @example
   * if (!client.isConnected()) await client.connect();
   */
  isConnected(): boolean {
    return this.#connected;
  }

  // ---- hooks for subclasses -------------------------------------------------------------

  /**
   * Validates publish() arguments and encodes the PUBLISH in one pass (a QoS 1 packet carries
   * a placeholder id, patched when it gets its slot). Throws InvalidArgumentError.
   */
  protected preparePublish(
    topic: unknown,
    msg: unknown,
    retain: unknown,
    qos: unknown,
  ): Uint8Array {
    checkBytes(topic, "publish(topic)");
    checkBytes(msg, "publish(msg)");
    checkBoolean(retain, "publish(retain)");
    checkQos01(qos, "publish(qos)");
    return codecRule("publish(topic, msg)", () =>
      encodePublish(topic, msg, qos, retain, false, qos ? 1 : undefined),
    );
  }

  /** Validates subscribe() arguments. Throws InvalidArgumentError. */
  protected checkSubscribe(topic: unknown, qos: unknown): void {
    checkFilter(topic, "subscribe(topic)");
    checkQos01(qos, "subscribe(qos)");
  }

  /** Validates unsubscribe() arguments. Throws InvalidArgumentError. */
  protected checkUnsubscribe(topic: unknown): void {
    checkFilter(topic, "unsubscribe(topic)");
  }

  /** Runs right after an accepted CONNACK, before `connect()` resolves or anything else is sent. */
  protected sessionStarted(_sessionPresent: boolean): void {}

  /** Decides the fate of in-flight requests when a connection ends; by default all reject. */
  protected connectionLost(err: MqttClientError): void {
    this.inflight.rejectRequests(err);
    this.inflight.rejectWaiters(err);
  }

  /**
   * Whether queued messages may be dispatched to the callback while the application awaits an
   * acknowledgement (the no-deadlock pump): by default, when a callback is set. A subclass whose
   * callback is a router must say whether anything would really receive them.
   */
  protected takesMessages(): boolean {
    return this.#callback !== undefined;
  }

  /** Whether a QoS 1 publish may wait for the next connection instead of failing now. */
  protected keepsRequestsOffline(): boolean {
    return false;
  }

  /** Re-sends the unacknowledged QoS 1 PUBLISHes in their original order with DUP = 1. */
  protected resendUnacked(): void {
    for (const [, pending] of this.inflight.unackedPublishes()) {
      if (pending.sent) pending.packet[0]! |= 0x08; // [MQTT-3.3.1-1] DUP on re-delivery
      pending.sent = true;
      this.#conn?.send(pending.packet);
    }
  }

  /** Why the client is not connected, as a ConnectionError (robust retries those). */
  protected notConnected(where: string): ConnectionError {
    const cause = this.#lastClose;
    return new ConnectionError(
      ErrorCode.NOT_CONNECTED,
      `${where}: not connected${cause ? ` (${cause.message})` : "; call connect() first"}`,
      { cause },
    );
  }

  // ---- internals -------------------------------------------------------------------------

  #request(kind: RequestKind, pid: number, packet: Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const pending: Pending = { kind, packet, sent: false, resolve, reject };
      this.inflight.add(pid, pending);
      if (this.#connected && this.#conn) {
        pending.sent = true;
        if (kind === RequestKind.PUBLISH) this.#conn.enqueue(packet, false);
        else this.#conn.send(packet);
      }
      this.#relieve();
    });
  }

  /** The connection's handlers, built apart from connect() so its closures hold only `epoch`. */
  #handlersFor(epoch: number): ConnectionHandlers {
    return {
      packet: (p) => this.#onPacket(p),
      close: (err) => epoch === this.#epoch && this.#onClose(err),
      // A keepalive probe of a paused reader; not past the inbox's hard cap (memory first).
      canProbe: () => !this.inbox.overflowing,
    };
  }

  #requireConnection(where: string): Connection {
    if (!this.#connected || !this.#conn) throw this.notConnected(where);
    return this.#conn;
  }

  /**
   * Runs `run` under the dispatch lock (one at a time, in call order). A call waiting for it
   * rejects when the connection closes, and after disconnect() none waits at all: behind a
   * callback that never returns it would hang.
   */
  async #serialize<T>(run: () => Promise<T>): Promise<T> {
    const lock = this.#lock;
    const closed = this.#lastClose;
    if (lock.length > 0 && closed?.code === ErrorCode.CLIENT_CLOSED) throw closed;
    await new Promise<void>((resolve, reject) => {
      if (lock.push({ resolve, reject }) === 1) resolve();
    });
    try {
      return await run();
    } finally {
      // Handed straight to the next in line: a call made meanwhile queues behind it.
      lock.shift();
      lock[0]?.resolve();
    }
  }

  #beforeDispatch(where: string): void {
    const stored = this.#callbackError;
    if (stored) {
      this.#callbackError = undefined;
      throw stored.error;
    }
    if (!this.#callback) {
      throw new MqttClientError(
        ErrorCode.NO_CALLBACK,
        `${where}: no callback; call setCallback(cb) first, or iterate messages()`,
      );
    }
  }

  #takeMessage(): Promise<Incoming> {
    const message = this.inbox.shift();
    if (message) {
      this.#relieve();
      return Promise.resolve(message);
    }
    if (!this.#connected) return Promise.reject(this.#closedError("waiting for a message"));
    return new Promise((resolve, reject) => this.#msgWaiters.push({ resolve, reject }));
  }

  /** The error for "no connection": the disconnect() that closed the client, else not connected. */
  #closedError(where: string): MqttClientError {
    const closed = this.#lastClose;
    return closed?.code === ErrorCode.CLIENT_CLOSED ? closed : this.notConnected(where);
  }

  async #dispatch(message: Incoming): Promise<number> {
    const cb = this.#callback!;
    this.#dispatching++;
    try {
      const result = cb(message.topic, message.payload, {
        qos: message.qos,
        retain: message.retain,
        dup: message.dup,
      });
      if (result && typeof (result as Promise<void>).then === "function") await result;
    } finally {
      this.#dispatching--;
    }
    this.#acknowledge(message);
    return message.first;
  }

  #acknowledge(message: Incoming): void {
    // A PUBACK only makes sense on the connection the message came in on.
    if (message.qos === 1 && message.epoch === this.#epoch && this.#conn?.open) {
      this.#conn.send(new Uint8Array([0x40, 0x02, message.pid >> 8, message.pid & 0xff]));
    }
  }

  /**
   * Flow control after every change of the inbox or of the requests awaiting acks:
   * - below the soft limit, read;
   * - full and nothing awaited: pause (the application sets the pace);
   * - full while acks are awaited: dispatch queued messages to the callback so the ack can be
   *   read (no deadlock), or, with no callback free to take them, read on up to the hard cap.
   */
  #relieve(): void {
    const conn = this.#conn;
    if (!conn?.open) return;
    if (!this.inbox.full) return conn.resume();
    if (this.inflight.size === 0 && this.#pingWaiters.length === 0) return conn.pause();
    if (this.#dispatching === 0 && this.takesMessages()) {
      conn.pause();
      if (!this.#pumping) {
        this.#pumping = true;
        this.#serialize(() => this.#pump()).catch(() => {
          // Rejected before it ran (the connection closed while it waited for the lock).
          this.#pumping = false;
        });
      }
      return;
    }
    if (this.inbox.overflowing) {
      return conn.close(
        new ConnectionError(
          ErrorCode.INBOX_OVERFLOW,
          `inbox over its hard cap of ${this.inbox.maxMessages * this.inbox.hardFactor} messages or ${this.inbox.maxBytes * this.inbox.hardFactor} bytes while awaiting an ack; take messages or set a callback`,
        ),
      );
    }
    conn.resume();
  }

  async #pump(): Promise<void> {
    try {
      while (
        this.inbox.full &&
        this.takesMessages() &&
        (this.inflight.size > 0 || this.#pingWaiters.length > 0)
      ) {
        const message = this.inbox.shift()!;
        try {
          await this.#dispatch(message);
        } catch (error) {
          // Surfaces from the next waitMsg()/checkMsg(), as if it had dispatched the message.
          this.#callbackError ??= { error };
        }
      }
    } finally {
      this.#pumping = false;
      this.#relieve();
    }
  }

  #onPacket(packet: Packet): void {
    // [MQTT-3.2.0-1] the broker's first packet is the CONNACK
    if (!this.#connected && packet.type !== "connack") {
      return this.#protocolError(`${packet.type.toUpperCase()} before CONNACK [MQTT-3.2.0-1]`);
    }
    switch (packet.type) {
      case "publish":
        return this.#onPublish(packet);
      case "puback":
        this.inflight.take(packet.packetId, RequestKind.PUBLISH)?.resolve(0);
        return this.#relieve();
      case "suback": {
        const request = this.inflight.take(packet.packetId, RequestKind.SUBSCRIBE);
        const code = packet.returnCodes[0]!;
        if (request)
          code === 0x80 ? request.reject(new MQTTException(0x80)) : request.resolve(code);
        return this.#relieve();
      }
      case "unsuback":
        this.inflight.take(packet.packetId, RequestKind.UNSUBSCRIBE)?.resolve(0);
        return this.#relieve();
      case "pingresp": {
        const waiter = this.#pingWaiters.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve();
        }
        return this.#relieve();
      }
      case "connack":
        return this.#onConnack(packet.returnCode, packet.sessionPresent);
      default:
        return this.#protocolError(`unexpected ${packet.type.toUpperCase()} from the broker`);
    }
  }

  #onConnack(returnCode: number, sessionPresent: boolean): void {
    const waiter = this.#connack;
    if (!waiter)
      return this.#protocolError("unexpected CONNACK on an open connection [MQTT-3.1.0-2]");
    this.#connack = undefined;
    if (returnCode !== 0) {
      const refusal = new MQTTException(returnCode);
      this.#conn?.close(
        new ConnectionError(ErrorCode.CONNECTION_CLOSED, refusal.message, { cause: refusal }),
      );
      return waiter.reject(refusal);
    }
    this.#connected = true;
    this.#lastClose = undefined;
    this.#conn!.startKeepalive();
    this.sessionStarted(sessionPresent);
    waiter.resolve(sessionPresent);
  }

  #onPublish(packet: Extract<Packet, { type: "publish" }>): void {
    if (packet.qos === 2) {
      return this.#protocolError("QoS 2 PUBLISH, but this client subscribes with QoS 0 or 1 only");
    }
    const message: Incoming = {
      first: 0x30 | (packet.dup ? 8 : 0) | (packet.qos << 1) | (packet.retain ? 1 : 0),
      topic: packet.topic,
      payload: packet.payload,
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      pid: packet.packetId ?? 0,
      epoch: this.#epoch,
    };
    const waiter = this.#msgWaiters.shift();
    if (waiter) return waiter.resolve(message);
    this.inbox.push(message);
    this.#relieve();
  }

  #protocolError(message: string): void {
    this.#conn?.close(
      new ConnectionError(
        ErrorCode.PROTOCOL,
        `protocol violation: ${message}; connection closed [MQTT-4.8.0-1]`,
      ),
    );
  }

  /** The connection ended, or disconnect() closed a client whose connection was already gone. */
  #onClose(err: MqttClientError): void {
    this.#connected = false;
    this.#lastClose = err;
    const connack = this.#connack;
    this.#connack = undefined;
    connack?.reject(err);
    for (const waiter of this.#pingWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    for (const waiter of this.#msgWaiters.splice(0)) waiter.reject(err);
    // Those waiting for the dispatch lock; the call holding it settles with its own wait.
    for (const waiter of this.#lock.splice(1)) waiter.reject(err);
    this.connectionLost(err);
  }
}

/** Why a connection was closed by a later connect(). */
function superseded(): ConnectionError {
  return new ConnectionError(
    ErrorCode.CONNECTION_CLOSED,
    "a newer connect() superseded this connection",
  );
}

/** Offset of the packet id in an encoded QoS > 0 PUBLISH: after the header and the topic. */
function pidOffset(packet: Uint8Array): number {
  let i = 1;
  while (packet[i++]! & 0x80);
  return i + 2 + ((packet[i]! << 8) | packet[i + 1]!);
}
