/**
 * Design: how received messages reach the application — pulled, as in umqtt. Messages wait in
 * the session's inbox until `waitMsg()`, `checkMsg()` or `messages()` takes one; those calls run
 * one at a time under the dispatch lock, in call order. Flow control follows every change:
 * below the inbox's soft limit the socket is read; full and nothing awaited, it is paused (the
 * application sets the pace); full while an acknowledgement is awaited, queued messages are
 * dispatched to the callback (the no-deadlock pump), or, with nothing to take them, read on up
 * to the hard cap, past which the connection closes with ERR_INBOX_OVERFLOW.
 */
import type { PublishProperties, QoS } from "@umqtt/codec";
import type { Connection } from "./connection.js";
import { ConnectionError, ErrorCode, MqttClientError, notConnected } from "./errors.js";
import type { Incoming } from "./inbox.js";
import { macrotask } from "./macrotask.js";
import type { Session } from "./session.js";
import { Waiters } from "./waiters.js";

/** Flags of a delivered message (the callback's third argument). */
export interface MessageInfo {
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** (MQTT 5) The PUBLISH's properties, when it had any (a topic alias already resolved). */
  properties?: PublishProperties;
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

/** What delivery needs to know of the client it serves. */
export interface DeliveryHost {
  /** The current connection, if any. */
  connection(): Connection | undefined;
  /** Acknowledgements awaited (requests and pings): while any is, a full inbox must not stall. */
  pending(): number;
  /** Whether the callback would receive queued messages (a layer may answer for its router). */
  takesMessages(hasCallback: boolean): boolean;
  /** Why the last connection ended; cleared by the next accepted CONNACK. */
  lastClosed(): MqttClientError | undefined;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** messages() ends, rather than throws, once disconnect() closed the client. */
const endWhenClosed = (err: MqttClientError): IteratorReturnResult<undefined> => {
  if (err.code === ErrorCode.CLIENT_CLOSED) return DONE;
  throw err;
};

export class Delivery {
  callback: MessageCallback | undefined;
  readonly #session: Session;
  readonly #host: DeliveryHost;
  // Both come with their first waiter: most clients never queue a second call.
  #waiting: Waiters<Incoming> | undefined;
  /** Calls queued behind the dispatch lock's holder. */
  #queue: Waiters | undefined;
  #locked = false;
  #dispatching = 0;
  #pumping = false;
  #callbackError: { error: unknown } | undefined;

  constructor(session: Session, host: DeliveryHost) {
    this.#session = session;
    this.#host = host;
  }

  waitMsg(): Promise<number | null> {
    return this.#serialize(async () => {
      this.#beforeDispatch("waitMsg()");
      return this.#dispatch(await this.#take());
    });
  }

  checkMsg(): Promise<number | null> {
    return this.#serialize(async () => {
      this.#beforeDispatch("checkMsg()");
      const inbox = this.#session.inbox;
      let message = inbox.shift();
      if (!message) {
        if (!this.#session.online) throw this.#closedError("checkMsg()");
        await new Promise<void>((resolve) => macrotask(resolve));
        message = inbox.shift();
        if (!message) return null;
      }
      this.relieve();
      return this.#dispatch(message);
    });
  }

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
          taken = await this.#take();
          const { topic, payload, qos, retain, dup, properties } = taken;
          const value: Message = { topic, payload, qos, retain, dup };
          if (properties) value.properties = properties;
          return { done: false, value };
        }).catch(endWhenClosed),
      return: async (): Promise<IteratorResult<Message>> => {
        settle();
        return DONE;
      },
    };
    return iterator;
  }

  /** A message entered the inbox: a caller already waiting gets it. */
  arrived(): void {
    // A QoS 2 re-send the session did not deliver again left the inbox as it was.
    if (!this.#waiting?.length) return;
    const message = this.#session.inbox.shift();
    if (message) this.#waiting!.resolveNext(message);
  }

  /** The connection ended: every caller waiting for a message or for the lock rejects. */
  closed(err: MqttClientError): void {
    this.#waiting?.rejectAll(err);
    // The call holding the lock settles with its own wait.
    this.#queue?.rejectAll(err);
  }

  /** Flow control after every change of the inbox or of what is awaited (see Design). */
  relieve(): void {
    const conn = this.#host.connection();
    if (!conn?.open) return;
    const inbox = this.#session.inbox;
    if (!inbox.full) return conn.resume();
    if (this.#host.pending() === 0) return conn.pause();
    if (this.#dispatching === 0 && this.#takes()) {
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
    if (inbox.overflowing) {
      return conn.close(
        new ConnectionError(
          ErrorCode.INBOX_OVERFLOW,
          `inbox over its hard cap of ${inbox.maxMessages * inbox.hardFactor} messages or ${inbox.maxBytes * inbox.hardFactor} bytes while awaiting an ack; take messages or set a callback`,
        ),
      );
    }
    conn.resume();
  }

  /** The error for "no connection": the disconnect() that closed the client, else not connected. */
  #closedError(where: string): MqttClientError {
    const closed = this.#host.lastClosed();
    return closed?.code === ErrorCode.CLIENT_CLOSED ? closed : notConnected(where, closed);
  }

  #takes(): boolean {
    return this.#host.takesMessages(this.callback !== undefined);
  }

  /**
   * Runs `run` under the dispatch lock (one at a time, in call order). A call waiting for it
   * rejects when the connection closes, and after disconnect() none waits at all: behind a
   * callback that never returns it would hang.
   */
  async #serialize<T>(run: () => Promise<T>): Promise<T> {
    if (this.#locked) {
      const closed = this.#host.lastClosed();
      if (closed?.code === ErrorCode.CLIENT_CLOSED) throw closed;
      this.#queue ??= new Waiters();
      await this.#queue.wait();
    } else this.#locked = true;
    try {
      return await run();
    } finally {
      // Handed straight to the next in line: a call made meanwhile queues behind it.
      if (!this.#queue?.resolveNext()) this.#locked = false;
    }
  }

  #beforeDispatch(where: string): void {
    const stored = this.#callbackError;
    if (stored) {
      this.#callbackError = undefined;
      throw stored.error;
    }
    if (!this.callback) {
      throw new MqttClientError(
        ErrorCode.NO_CALLBACK,
        `${where}: no callback; call setCallback(cb) first, or iterate messages()`,
      );
    }
  }

  #take(): Promise<Incoming> {
    const message = this.#session.inbox.shift();
    if (message) {
      this.relieve();
      return Promise.resolve(message);
    }
    if (!this.#session.online) return Promise.reject(this.#closedError("waiting for a message"));
    this.#waiting ??= new Waiters();
    return this.#waiting.wait();
  }

  async #dispatch(message: Incoming): Promise<number> {
    const cb = this.callback!;
    this.#dispatching++;
    try {
      const info: MessageInfo = { qos: message.qos, retain: message.retain, dup: message.dup };
      if (message.properties) info.properties = message.properties;
      const result = cb(message.topic, message.payload, info);
      if (result && typeof (result as Promise<void>).then === "function") await result;
    } catch (err) {
      this.#session.refused(message);
      throw err;
    } finally {
      this.#dispatching--;
    }
    this.#acknowledge(message);
    return message.first;
  }

  #acknowledge(message: Incoming): void {
    const frame = this.#session.acknowledge(message);
    const conn = this.#host.connection();
    if (frame && conn?.open) conn.send(frame);
  }

  async #pump(): Promise<void> {
    const inbox = this.#session.inbox;
    try {
      while (inbox.full && this.#takes() && this.#host.pending() > 0) {
        const message = inbox.shift()!;
        try {
          await this.#dispatch(message);
        } catch (error) {
          // Surfaces from the next waitMsg()/checkMsg(), as if it had dispatched the message.
          this.#callbackError ??= { error };
        }
      }
    } finally {
      this.#pumping = false;
      this.relieve();
    }
  }
}
