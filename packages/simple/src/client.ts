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
import {
  type ConnackProperties,
  encode,
  encodePublish,
  encodePublishV5,
  type PublishProperties,
  type QoS,
  type WillProperties,
} from "@umqtt/codec";
import { Delivery, type Message, type MessageCallback } from "./delivery.js";
import { ConnectionError, MQTTException, notConnected } from "./errors.js";
import { Inbox } from "./inbox.js";
import type { Layer } from "./layer.js";
import { Link } from "./link.js";
import {
  checkPacketSize,
  checkPublishAllowed,
  checkPublishProperties,
  needsV5,
  type SubscribeOptions,
  subscribe5,
} from "./mqtt5.js";
import { type MQTTClientOptions, option, type Settings, settingsOf } from "./options.js";
import { serverTransport } from "./server-transport.js";
import { parseServer } from "./server-url.js";
import { RequestKind, Session } from "./session.js";
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

export type { Message, MessageCallback, MessageInfo } from "./delivery.js";

/** A client with no layer above it: one shared, empty contract. */
const NO_LAYER: Layer = Object.freeze({});

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
  declare readonly server: string;
  declare readonly port: number;
  readonly #settings: Settings;
  readonly #layer: Layer;
  readonly #session: Session;
  readonly #delivery: Delivery;
  readonly #link: Link;
  #will:
    | {
        topic: string | Uint8Array;
        payload: string | Uint8Array;
        qos: QoS;
        retain: boolean;
        properties?: WillProperties;
      }
    | undefined;

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
    layer: Layer = NO_LAYER,
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
    this.server = server;
    const target = parseServer(server, s.port, options.ssl, options.sslParams !== undefined);
    this.port = target.port;
    this.#settings = s;
    this.#layer = layer;
    const inbox = new Inbox(s.maxQueuedMessages, s.maxQueuedBytes);
    this.#session = new Session(s.maxInflight, inbox);
    this.#session.aliasMax = s.properties?.topicAliasMaximum ?? 0;
    const transport = s.transport ?? serverTransport(target, options);
    const link = new Link(clientId, this.#session, layer, s, transport);
    this.#link = link;
    this.#delivery = link.delivery = new Delivery(this.#session, link);
    layer.attach?.({ fail: (err) => this.#session.fail(err) });
  }

  /**
   * The client identifier of the next CONNECT: the one given, or the one the server assigned
   * (MQTT 5 CONNACK) to a client that gave none.
   * @example
   * await client.connect(); console.log(client.clientId); // "auto-5F3A…" when "" was given
   */
  get clientId(): string {
    return this.#link.clientId;
  }

  /**
   * Keepalive in seconds: the option, or the server's (MQTT 5 CONNACK Server Keep Alive).
   * @example
   * await client.connect(); if (client.keepalive !== 60) console.log("the server set", client.keepalive);
   */
  get keepalive(): number {
    return this.#link.keepalive;
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
    properties?: WillProperties,
  ): void {
    checkTopic(topic, "setLastWill(topic)");
    checkString(msg, "setLastWill(msg)", true);
    checkBoolean(retain, "setLastWill(retain)");
    checkInteger(qos, "setLastWill(qos)", 0, 2);
    needsV5(properties, "setLastWill(properties)", this.#v5);
    this.#will = { topic, payload: msg, qos, retain, ...(properties ? { properties } : {}) };
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
    const { protocolVersion, properties, keepalive } = this.#settings;
    const packet = codecRule("connect(): the CONNECT (options.properties, setLastWill)", () =>
      encode(
        {
          type: "connect",
          clientId: this.clientId,
          cleanSession,
          keepalive,
          ...this.#settings.credentials,
          ...(this.#will ? { will: this.#will } : {}),
          ...(properties ? { properties } : {}),
        },
        protocolVersion,
      ),
    );
    return this.#link.open(packet, ms);
  }

  /**
   * Sends DISCONNECT and closes the connection (the will is discarded). Pending operations,
   * and a `connect()` still under way, reject with code `ERR_CLIENT_CLOSED`. Safe to call when
   * not connected.
   * @example
   * await client.disconnect();
   */
  async disconnect(): Promise<void> {
    this.#link.close();
  }

  /**
   * Sends PINGREQ and resolves on the PINGRESP. No answer in time (keepalive, or the connect
   * timeout when keepalive is 0) means the link is dead: the connection closes.
   * @example
   * await client.ping();
   */
  async ping(): Promise<void> {
    return this.#link.ping(
      this.keepalive > 0 ? this.keepalive * 1000 : this.#settings.connectTimeout,
    );
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
    properties?: PublishProperties,
  ): Promise<void> {
    checkBytes(topic, "publish(topic)");
    checkBytes(msg, "publish(msg)");
    checkBoolean(retain, "publish(retain)");
    checkQos(qos, "publish(qos)");
    const v5 = this.#v5;
    if (properties !== undefined) {
      needsV5(properties, "publish(properties)", v5);
      checkPublishProperties(properties);
    }
    const link = this.#link;
    const caps = link.connackProperties;
    if (v5) checkPublishAllowed(caps, retain, qos);
    // A QoS > 0 frame carries a placeholder id until it gets its window slot.
    const pid = qos ? 1 : undefined;
    const frame = codecRule(
      properties ? "publish(topic, msg, properties)" : "publish(topic, msg)",
      () =>
        v5
          ? encodePublishV5(topic, msg, qos, retain, false, pid, properties)
          : encodePublish(topic, msg, qos, retain, false, pid),
    );
    if (v5) checkPacketSize(caps, frame.length);
    const conn = link.requireConnection("publish()");
    if (qos === 0) {
      const wire = link.aliases?.wire(frame, topic, msg, qos, retain, properties) ?? frame;
      const queued = conn.enqueue(wire, true);
      if (queued) await queued;
      return;
    }
    const session = this.#session;
    const slot = session.acquireSlot();
    if (slot) await slot;
    // Lost while waiting for the slot: robust keeps it for the next connection.
    if (!session.online && !this.#layer.keepPublishes) {
      session.releaseSlot();
      throw notConnected("publish()", link.lastClose);
    }
    // An alias belongs to the connection the PUBLISH is written on now; re-sends use `frame`.
    const aliases = session.online ? link.aliases : undefined;
    const wire = aliases?.wire(frame, topic, msg, qos, retain, properties) ?? frame;
    await this.#request(RequestKind.PUBLISH, session.allocate(), frame, qos, true, wire);
  }

  /**
   * Subscribes to one topic filter and resolves to the granted QoS. A refusal (SUBACK 0x80)
   * rejects with `MQTTException` code 128.
   * @example
   * const granted = await client.subscribe("sensors/+/temp", 1);
   */
  async subscribe(topic: string, qos: QoS = 0, options?: SubscribeOptions): Promise<number> {
    checkSubscribe(topic, qos);
    const v5 = this.#v5;
    needsV5(options, "subscribe(options)", v5);
    const subscription = v5
      ? subscribe5(0, topic, qos, options, this.#link.connackProperties)
      : undefined;
    this.#link.requireConnection("subscribe()");
    const pid = this.#session.allocate();
    const packet = codecRule("subscribe(topic)", () =>
      subscription
        ? encode({ ...subscription, packetId: pid }, 5)
        : encode({
            type: "subscribe",
            packetId: pid,
            subscriptions: [{ topicFilter: topic, qos }],
          }),
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
    this.#link.requireConnection("unsubscribe()");
    const pid = this.#session.allocate();
    const packet = codecRule("unsubscribe(topic)", () =>
      encode(
        { type: "unsubscribe", packetId: pid, topicFilters: [topic] },
        this.#settings.protocolVersion,
      ),
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

  /**
   * (MQTT 5) The properties of the last accepted CONNACK: what the server allows (Receive
   * Maximum, Maximum Packet Size, Topic Alias Maximum, …); undefined before it or on 3.1.1.
   * @example
   * if (client.connackProperties?.retainAvailable === false) console.log("no retained messages");
   */
  get connackProperties(): ConnackProperties | undefined {
    return this.#link.connackProperties;
  }

  get #v5(): boolean {
    return this.#settings.protocolVersion === 5;
  }

  // ---- internals -------------------------------------------------------------------------

  #request(
    kind: RequestKind,
    pid: number,
    frame: Uint8Array,
    n: number,
    ordered: boolean,
    wire = frame,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const now = this.#session.request(kind, pid, frame, n, { resolve, reject }, wire);
      // Publishes keep their order behind a write backlog; other requests never wait.
      const conn = this.#link.conn;
      if (now && conn) ordered ? conn.enqueue(now, false) : conn.send(now);
      this.#delivery.relieve();
    });
  }
}
