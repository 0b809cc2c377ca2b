/**
 * Design: the client's link to the broker — the one {@link Connection} at a time, the connect
 * attempt under way, the CONNACK and PINGRESP waiters, what the server's CONNACK set (window,
 * keepalive, assigned client id, topic aliases), and the routing of every packet read:
 * CONNACK here, acknowledgements and messages to the {@link Session}, deliveries to the
 * {@link Delivery}. When the connection ends, every waiter settles and the session keeps
 * what the {@link Layer} says survives. The facade (client.ts) validates and encodes; this
 * file never sees an argument of the application's. The link is its connections' handlers and
 * its delivery's host itself, so an idle client holds no closures for either.
 */
import {
  type ConnackProperties,
  DISCONNECT,
  type DisconnectPacket5,
  type Packet,
  type Packet5,
  reasonName,
} from "@umqtt/codec";
import { Connection, type ConnectionHandlers, deadLink } from "./connection.js";
import type { Delivery, DeliveryHost } from "./delivery.js";
import { dial, superseded } from "./dial.js";
import {
  ConnectionError,
  ErrorCode,
  isConnectionError,
  isRetryable,
  MQTTException,
  MqttClientError,
  notConnected,
  refusal,
} from "./errors.js";
import type { Layer } from "./layer.js";
import { serverDisconnect, TopicAliases } from "./mqtt5.js";
import type { Settings } from "./options.js";
import { protocolError, type Session } from "./session.js";
import type { TransportFactory } from "./transport.js";
import { Waiters } from "./waiters.js";

export class Link implements DeliveryHost, ConnectionHandlers {
  conn: Connection | undefined;
  /** Why the last connection ended (cleared by the next CONNACK). */
  lastClose: MqttClientError | undefined;
  /** Ours, until a server assigns one (MQTT 5 CONNACK). */
  clientId: string;
  /** Seconds; ours, until a server sets its own (MQTT 5 CONNACK). */
  keepalive: number;
  /** (MQTT 5) The last accepted CONNACK's properties. */
  connackProperties: ConnackProperties | undefined;
  /** (MQTT 5) Outbound topic aliases, from a CONNACK that allows any. */
  aliases: TopicAliases | undefined;
  /** Set right after construction (delivery needs the link too). */
  declare delivery: Delivery;
  readonly #session: Session;
  readonly #layer: Layer;
  readonly #settings: Settings;
  readonly #transport: TransportFactory;
  // Comes with the first ping().
  #pings: Waiters | undefined;
  /** Counts connect() calls: a connection superseded while it opened is closed unheard. */
  #generation = 0;
  #connack: { resolve(sessionPresent: boolean): void; reject(err: Error): void } | undefined;
  /** The connect() under way: disconnect() aborts it. */
  #attempt: AbortController | undefined;

  constructor(
    clientId: string,
    session: Session,
    layer: Layer,
    settings: Settings,
    transport: TransportFactory,
  ) {
    this.clientId = clientId;
    this.keepalive = settings.keepalive;
    this.#session = session;
    this.#layer = layer;
    this.#settings = settings;
    this.#transport = transport;
  }

  /** Opens a connection (closing any previous one), sends `connectFrame`, awaits the CONNACK. */
  async open(connectFrame: Uint8Array, ms: number): Promise<boolean> {
    const settings = this.#settings;
    this.conn?.close(superseded());
    const generation = ++this.#generation;
    const abort = new AbortController();
    this.#attempt = abort;
    try {
      return await dial(
        abort,
        ms,
        (signal) =>
          Connection.open(
            this.#transport,
            this,
            {
              maxPacketSize: settings.maxPacketSize,
              keepalive: settings.keepalive * 1000,
              protocolVersion: settings.protocolVersion,
            },
            signal,
          ),
        (conn) => {
          if (generation !== this.#generation) {
            conn.close(superseded());
            throw conn.closedBy;
          }
          this.conn = conn;
          const accepted = new Promise<boolean>((resolve, reject) => {
            this.#connack = { resolve, reject };
          });
          conn.send(connectFrame);
          return accepted;
        },
      );
    } finally {
      if (this.#attempt === abort) this.#attempt = undefined;
    }
  }

  /** disconnect(): DISCONNECT, graceful close, and a connect() under way aborted. */
  close(): void {
    const closed = new MqttClientError(ErrorCode.CLIENT_CLOSED, "disconnect() closed the client");
    const conn = this.conn;
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

  /** PINGREQ, resolved by the PINGRESP; no answer within `wait` ms closes the connection. */
  async ping(wait: number): Promise<void> {
    const conn = this.requireConnection("ping()");
    const timer = setTimeout(() => conn.close(deadLink(wait)), wait);
    timer.unref?.();
    this.#pings ??= new Waiters();
    const answered = this.#pings.wait();
    conn.ping();
    this.delivery.relieve();
    try {
      await answered;
    } finally {
      clearTimeout(timer);
    }
  }

  // DeliveryHost: the link is what delivery asks (no closures per client).
  connection(): Connection | undefined {
    return this.conn;
  }

  pending(): number {
    return this.#session.size + (this.#pings?.length ?? 0);
  }

  takesMessages(hasCallback: boolean): boolean {
    return this.#layer.takesMessages?.(hasCallback) ?? hasCallback;
  }

  lastClosed(): MqttClientError | undefined {
    return this.lastClose;
  }

  /** The open, accepted connection, or the not-connected error naming `where`. */
  requireConnection(where: string): Connection {
    if (!this.#session.online || !this.conn) throw notConnected(where, this.lastClose);
    return this.conn;
  }

  // ConnectionHandlers: only the current connection is heard; one superseded while it opened
  // never became `conn`.
  packetRead(packet: Packet | Packet5, from: Connection): void {
    if (from === this.conn) this.#onPacket(packet, from);
  }

  connectionClosed(err: MqttClientError, from: Connection): void {
    if (from === this.conn) this.#onClose(err);
  }

  /** A keepalive probe of a paused reader; not past the inbox's hard cap (memory first). */
  canProbe(): boolean {
    return !this.#session.inbox.overflowing;
  }

  #onPacket(packet: Packet | Packet5, conn: Connection): void {
    if (packet.type === "connack") return this.#onConnack(packet, conn);
    let reply: Uint8Array | undefined;
    try {
      if (packet.type === "disconnect" && this.#settings.protocolVersion === 5)
        return conn.close(serverDisconnect(packet as DisconnectPacket5));
      if (packet.type === "auth")
        throw protocolError("AUTH, but this client asked for no authentication method");
      reply = this.#session.handle(packet);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      return conn.close(err);
    }
    if (reply) conn.send(reply);
    if (packet.type === "pingresp") this.#pings?.resolveNext();
    else if (packet.type === "publish") this.delivery.arrived();
    this.delivery.relieve();
  }

  #onConnack(packet: Extract<Packet | Packet5, { type: "connack" }>, conn: Connection): void {
    const { sessionPresent } = packet;
    const waiter = this.#connack;
    if (!waiter) {
      return conn.close(protocolError("unexpected CONNACK on an open connection [MQTT-3.1.0-2]"));
    }
    this.#connack = undefined;
    const props = "properties" in packet ? packet.properties : undefined;
    const code = "returnCode" in packet ? packet.returnCode : packet.reasonCode;
    if (code !== 0) {
      const refused =
        "returnCode" in packet
          ? new MQTTException(code)
          : refusal(code, "CONNACK", props?.reasonString, reasonName(code, "connack"));
      conn.close(
        new ConnectionError(ErrorCode.CONNECTION_CLOSED, refused.message, { cause: refused }),
      );
      return waiter.reject(refused);
    }
    this.lastClose = undefined;
    this.#accepted(props);
    // A server keepalive (MQTT 5) replaces the one the connection was opened with.
    conn.startKeepalive(props?.serverKeepAlive === undefined ? undefined : this.keepalive * 1000);
    const resend = this.#session.connected(sessionPresent);
    this.#layer.up?.(sessionPresent);
    for (const frame of resend) conn.send(frame);
    waiter.resolve(sessionPresent);
  }

  /** (MQTT 5) What an accepted CONNACK sets: window, aliases, keepalive, client id. */
  #accepted(props: ConnackProperties | undefined): void {
    const s = this.#settings;
    this.connackProperties = props;
    this.#session.window = Math.min(s.maxInflight, props?.receiveMaximum ?? s.maxInflight);
    const aliasMax = props?.topicAliasMaximum ?? 0;
    this.aliases = aliasMax > 0 ? new TopicAliases(aliasMax) : undefined;
    this.keepalive = props?.serverKeepAlive ?? s.keepalive;
    if (props?.assignedClientIdentifier !== undefined) {
      this.clientId = props.assignedClientIdentifier;
    }
  }

  /** The connection ended, or disconnect() closed a client whose connection was already gone. */
  #onClose(err: MqttClientError): void {
    this.lastClose = err;
    const connack = this.#connack;
    this.#connack = undefined;
    connack?.reject(err);
    this.#pings?.rejectAll(err);
    this.delivery.closed(err);
    // Only a failure that a reconnect may cure leaves the publishes to the next connection.
    this.#session.disconnected(err, !!this.#layer.keepPublishes && isRetryable(err));
    this.#layer.down?.(err);
  }
}
