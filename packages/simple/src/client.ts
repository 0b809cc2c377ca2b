/**
 * Design: the facade. It validates arguments, turns calls into {@link Session} requests and
 * writes what the session returns on the one {@link Connection} it holds at a time. The session
 * owns the MQTT rules (ids, in-flight window, acknowledgements, re-sends); {@link Delivery}
 * owns how received messages reach the application (the dispatch lock, the callback, the
 * no-deadlock pump, flow control). Acknowledgements are handled the moment they are read;
 * every pending promise settles when the connection ends.
 *
 * Upper layers (robust, default) extend it only through the {@link Layer} given to the
 * constructor: it is told when a session starts and ends, and says what survives.
 */
import { DISCONNECT, encode, encodePublish, type Packet, type QoS } from "@umqtt/codec";
import { Connection, type ConnectionHandlers, deadLink } from "./connection.js";
import { Delivery, type Message, type MessageCallback } from "./delivery.js";
import { dial, superseded } from "./dial.js";
import {
  ConnectionError,
  ErrorCode,
  isConnectionError,
  isRetryable,
  MQTTException,
  MqttClientError,
  notConnected,
} from "./errors.js";
import { Inbox } from "./inbox.js";
import type { Layer } from "./layer.js";
import { type MQTTClientOptions, option, type Settings, settingsOf } from "./options.js";
import { serverTransport } from "./server-transport.js";
import { parseServer } from "./server-url.js";
import { protocolError, RequestKind, Session } from "./session.js";
import type { TransportFactory } from "./transport.js";
import {
  checkBoolean,
  checkBytes,
  checkDuration,
  checkFilter,
  checkInteger,
  checkQos,
  checkString,
  checkSubscribe,
  checkTopic,
  codecRule,
  fail,
  mustBe,
} from "./validate.js";
import { Waiters } from "./waiters.js";

export type { Message, MessageCallback, MessageInfo } from "./delivery.js";
export type { MQTTClientOptions } from "./options.js";

/**
 * An MQTT 3.1.1 client with MicroPython umqtt.simple's API: one connection, QoS 0, 1 and 2
 * both ways, messages pulled by the application.
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
  readonly #settings: Settings;
  readonly #layer: Layer;
  readonly #session: Session;
  readonly #delivery: Delivery;
  readonly #transportFactory: TransportFactory;
  #will:
    | { topic: string | Uint8Array; payload: string | Uint8Array; qos: QoS; retain: boolean }
    | undefined;
  #conn: Connection | undefined;
  /** Counts connect() calls: events of a superseded connection are ignored. */
  #generation = 0;
  #connack: { resolve(sessionPresent: boolean): void; reject(err: Error): void } | undefined;
  readonly #pings = new Waiters();
  /** The connect() under way: disconnect() aborts it. */
  #attempt: AbortController | undefined;
  /** Why the last connection ended (cleared by the next CONNACK). */
  #lastClose: MqttClientError | undefined;

  /**
   * @param clientId client identifier (may be empty with a clean session: the broker assigns one).
   * @param server host name or IP address of the broker, or a URL: `mqtt://host[:port]`,
   *   `mqtts://host[:port]`, `ws://host[:port]/path`, `wss://host[:port]/path`.
   * @param layer how an upper layer (robust, default) extends this client; see {@link Layer}.
   * @example
   * const client = new MQTTClient("id", "127.0.0.1", { port: 1883, keepalive: 30 });
   */
  constructor(
    clientId: string,
    server: string,
    options: MQTTClientOptions = {},
    layer: Layer = {},
  ) {
    if (typeof clientId !== "string") mustBe("MQTTClient(clientId)", "a string", clientId);
    if (typeof server !== "string" || server === "") {
      mustBe("MQTTClient(server)", "a non-empty host name, address or URL", server);
    }
    const s = settingsOf(options, layer.optionKeys ?? []);
    checkString(clientId, "MQTTClient(clientId)");
    const { username, password } = s.credentials;
    if (username !== undefined) checkString(username, option("user"));
    if (password !== undefined) checkString(password, option("password"), true);
    this.clientId = clientId;
    this.server = server;
    const target = parseServer(server, s.port, options.ssl, options.sslParams !== undefined);
    this.port = target.port;
    this.keepalive = s.keepalive;
    this.#settings = s;
    this.#layer = layer;
    const inbox = new Inbox(s.maxQueuedMessages, s.maxQueuedBytes);
    this.#session = new Session(s.maxInflight, inbox);
    this.#delivery = new Delivery(this.#session, {
      connection: () => this.#conn,
      pending: () => this.#session.size + this.#pings.length,
      takesMessages: (hasCallback) => layer.takesMessages?.(hasCallback) ?? hasCallback,
      lastClose: () => this.#lastClose,
    });
    this.#transportFactory = s.transport ?? serverTransport(target, options);
    layer.attach?.({ fail: (err) => this.#session.fail(err) });
  }

  /**
   * Sets the function that receives messages dispatched by `waitMsg()`/`checkMsg()`.
   * @example
   * client.setCallback((topic, msg, { qos, retain }) => console.log(topic, msg, qos, retain));
   */
  setCallback(cb: MessageCallback): void {
    if (typeof cb !== "function") mustBe("setCallback(cb)", "a function", cb);
    this.#delivery.callback = cb;
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
    checkString(msg, "setLastWill(msg)", true);
    checkBoolean(retain, "setLastWill(retain)");
    checkInteger(qos, "setLastWill(qos)", 0, 2);
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
      timeout === undefined
        ? this.#settings.connectTimeout
        : checkDuration(timeout, "connect(timeout)");
    if (this.clientId === "" && !cleanSession) {
      fail("connect(cleanSession)", "an empty client id needs cleanSession = true [MQTT-3.1.3-7]");
    }
    const packet = encode({
      type: "connect",
      clientId: this.clientId,
      cleanSession,
      keepalive: this.keepalive,
      ...this.#settings.credentials,
      ...(this.#will ? { will: this.#will } : {}),
    });
    this.#conn?.close(superseded());
    const generation = ++this.#generation;
    const abort = new AbortController();
    this.#attempt = abort;
    try {
      return await dial(
        abort,
        ms,
        (signal) =>
          Connection.open(
            this.#transportFactory,
            this.#handlersFor(generation),
            { maxPacketSize: this.#settings.maxPacketSize, keepalive: this.keepalive * 1000 },
            signal,
          ),
        (conn) => {
          if (generation !== this.#generation) {
            conn.close(superseded());
            throw conn.closedBy;
          }
          this.#conn = conn;
          const accepted = new Promise<boolean>((resolve, reject) => {
            this.#connack = { resolve, reject };
          });
          conn.send(packet);
          return accepted;
        },
      );
    } finally {
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
      if (this.#session.online) conn.send(DISCONNECT);
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
    const wait = this.keepalive > 0 ? this.keepalive * 1000 : this.#settings.connectTimeout;
    const timer = setTimeout(() => conn.close(deadLink(wait)), wait);
    timer.unref?.();
    const answered = this.#pings.wait();
    conn.ping();
    this.#delivery.relieve();
    try {
      await answered;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Publishes a message. QoS 0 resolves once it is handed to the socket (waiting while the
   * socket is full); QoS 1 resolves on its PUBACK, QoS 2 on its PUBCOMP (exactly once). Up to
   * `maxInflight` QoS 1 and 2 publishes are in flight; further ones wait for a slot, in call
   * order.
   * @example
   * await client.publish("sensors/t1", "21.5", false, 1);
   */
  async publish(
    topic: string | Uint8Array,
    msg: string | Uint8Array,
    retain = false,
    qos: QoS = 0,
  ): Promise<void> {
    checkBytes(topic, "publish(topic)");
    checkBytes(msg, "publish(msg)");
    checkBoolean(retain, "publish(retain)");
    checkQos(qos, "publish(qos)");
    // A QoS > 0 frame carries a placeholder id until it gets its window slot.
    const frame = codecRule("publish(topic, msg)", () =>
      encodePublish(topic, msg, qos, retain, false, qos ? 1 : undefined),
    );
    const conn = this.#requireConnection("publish()");
    if (qos === 0) {
      const queued = conn.enqueue(frame, true);
      if (queued) await queued;
      return;
    }
    const session = this.#session;
    const slot = session.acquireSlot();
    if (slot) await slot;
    // Lost while waiting for the slot: robust keeps it for the next connection.
    if (!session.online && !this.#layer.keepPublishes) {
      session.releaseSlot();
      throw notConnected("publish()", this.#lastClose);
    }
    await this.#request(RequestKind.PUBLISH, session.allocate(), frame, qos, true);
  }

  /**
   * Subscribes to one topic filter and resolves to the granted QoS. A refusal (SUBACK 0x80)
   * rejects with `MQTTException` code 128.
   * @example
   * const granted = await client.subscribe("sensors/+/temp", 1);
   */
  async subscribe(topic: string, qos: QoS = 0): Promise<number> {
    checkSubscribe(topic, qos);
    this.#requireConnection("subscribe()");
    const pid = this.#session.allocate();
    const packet = codecRule("subscribe(topic)", () =>
      encode({ type: "subscribe", packetId: pid, subscriptions: [{ topicFilter: topic, qos }] }),
    );
    return this.#request(RequestKind.SUBSCRIBE, pid, packet, 1, false);
  }

  /**
   * Unsubscribes from one topic filter; resolves on the UNSUBACK. Messages already in flight
   * may still arrive afterwards [MQTT-3.10.4-3].
   * @example
   * await client.unsubscribe("sensors/+/temp");
   */
  async unsubscribe(topic: string): Promise<void> {
    checkFilter(topic, "unsubscribe(topic)");
    this.#requireConnection("unsubscribe()");
    const pid = this.#session.allocate();
    const packet = codecRule("unsubscribe(topic)", () =>
      encode({ type: "unsubscribe", packetId: pid, topicFilters: [topic] }),
    );
    await this.#request(RequestKind.UNSUBSCRIBE, pid, packet, 1, false);
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
    return this.#delivery.waitMsg();
  }

  /**
   * Like `waitMsg()`, but never waits for the network: resolves to `null` when no message has
   * arrived, after yielding to the event loop once (so `while (true) await checkMsg()` cannot
   * starve socket I/O or timers).
   * @example
   * while (running) { await client.checkMsg(); await doOtherWork(); }
   */
  checkMsg(): Promise<number | null> {
    return this.#delivery.checkMsg();
  }

  /**
   * The received messages as an async iterator, the alternative to a callback. A QoS 1
   * message is acknowledged when the loop asks for the next one (or ends), i.e. once it has
   * been processed. The iteration ends after `disconnect()`.
   * @example
   * for await (const { topic, payload } of client.messages()) handle(topic, payload);
   */
  messages(): AsyncIterableIterator<Message> {
    return this.#delivery.messages();
  }

  /**
   * True while a connection is open and accepted by the broker. Sends nothing.
   * @example
   * if (!client.isConnected()) await client.connect();
   */
  isConnected(): boolean {
    return this.#session.online;
  }

  // ---- internals -------------------------------------------------------------------------

  #request(
    kind: RequestKind,
    pid: number,
    frame: Uint8Array,
    n: number,
    ordered: boolean,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const now = this.#session.request(kind, pid, frame, n, { resolve, reject });
      // Publishes keep their order behind a write backlog; other requests never wait.
      if (now && this.#conn) ordered ? this.#conn.enqueue(now, false) : this.#conn.send(now);
      this.#delivery.relieve();
    });
  }

  /** The connection's handlers, built apart from connect() so its closures hold only `generation`. */
  #handlersFor(generation: number): ConnectionHandlers {
    return {
      packet: (p) => this.#onPacket(p),
      close: (err) => generation === this.#generation && this.#onClose(err),
      // A keepalive probe of a paused reader; not past the inbox's hard cap (memory first).
      canProbe: () => !this.#session.inbox.overflowing,
    };
  }

  #requireConnection(where: string): Connection {
    if (!this.#session.online || !this.#conn) throw notConnected(where, this.#lastClose);
    return this.#conn;
  }

  #onPacket(packet: Packet): void {
    const conn = this.#conn!;
    if (packet.type === "connack") return this.#onConnack(packet.returnCode, packet.sessionPresent);
    let reply: Uint8Array | undefined;
    try {
      reply = this.#session.handle(packet);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      return conn.close(err);
    }
    if (reply) conn.send(reply);
    if (packet.type === "pingresp") this.#pings.resolveNext();
    else if (packet.type === "publish") this.#delivery.arrived();
    this.#delivery.relieve();
  }

  #onConnack(returnCode: number, sessionPresent: boolean): void {
    const waiter = this.#connack;
    const conn = this.#conn!;
    if (!waiter) {
      return conn.close(protocolError("unexpected CONNACK on an open connection [MQTT-3.1.0-2]"));
    }
    this.#connack = undefined;
    if (returnCode !== 0) {
      const refusal = new MQTTException(returnCode);
      conn.close(
        new ConnectionError(ErrorCode.CONNECTION_CLOSED, refusal.message, { cause: refusal }),
      );
      return waiter.reject(refusal);
    }
    this.#lastClose = undefined;
    conn.startKeepalive();
    const resend = this.#session.connected(sessionPresent);
    this.#layer.up?.(sessionPresent);
    for (const frame of resend) conn.send(frame);
    waiter.resolve(sessionPresent);
  }

  /** The connection ended, or disconnect() closed a client whose connection was already gone. */
  #onClose(err: MqttClientError): void {
    this.#lastClose = err;
    const connack = this.#connack;
    this.#connack = undefined;
    connack?.reject(err);
    this.#pings.rejectAll(err);
    this.#delivery.closed(err);
    // Only a failure that a reconnect may cure leaves the publishes to the next connection.
    this.#session.disconnected(err, !!this.#layer.keepPublishes && isRetryable(err));
    this.#layer.down?.(err);
  }
}
