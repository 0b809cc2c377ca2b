/**
 * Design: the MQTT session rules as one pure class (rumqttc's state.rs): packet ids, the
 * in-flight table and its publish window, the QoS 1 and QoS 2 flows in both directions, and what
 * is re-sent, in which order, when a connection is accepted. It takes the application's
 * requests and the broker's packets and returns the frames to write; received messages go to
 * its {@link Inbox}; requests settle through the callbacks they carry. No sockets, no timers:
 * the client writes what it returns, and decides when the connection is up or down.
 *
 * Outbound QoS 2 (method of [MQTT-4.3.3]): PUBLISH → PUBREC → PUBREL → PUBCOMP; the request
 * keeps its PUBLISH frame throughout, so a session the broker lost can start the flow again.
 * Inbound QoS 2: a pid is remembered from its PUBLISH until its PUBREL, so a re-sent PUBLISH is
 * never delivered twice; the PUBREC goes out once the application took the message.
 */
import {
  encodeAck,
  type Packet,
  type Packet5,
  type PublishProperties,
  type QoS,
  reasonName,
  setDup,
  setPacketId,
} from "@umqtt/codec";
import { ConnectionError, ErrorCode, MQTTException, MqttClientError, refusal } from "./errors.js";
import type { Inbox, Incoming } from "./inbox.js";
import { Waiters } from "./waiters.js";

/** What a request is: its packet type code. */
export const RequestKind = { PUBLISH: 3, SUBSCRIBE: 8, UNSUBSCRIBE: 10 } as const;
export type RequestKind = (typeof RequestKind)[keyof typeof RequestKind];

/** How a request ends: resolved with the granted QoS (SUBSCRIBE) or 0, or rejected. */
export interface Settle {
  resolve(value: number): void;
  reject(err: Error): void;
}

/** Where a request stands. */
const UNSENT = 0; // recorded while offline: written after the next CONNACK
const SENT = 1; // written; awaiting PUBACK / PUBREC / SUBACK / UNSUBACK
const RELEASED = 2; // QoS 2: PUBREC came, PUBREL written; awaiting PUBCOMP

interface Request extends Settle {
  readonly kind: RequestKind;
  /** The encoded packet (a PUBLISH is re-sent from it). */
  readonly frame: Uint8Array;
  /** PUBLISH: its QoS; SUBSCRIBE: how many filters it carries (one SUBACK code each). */
  readonly n: number;
  stage: typeof UNSENT | typeof SENT | typeof RELEASED;
}

const MAX_PID = 65535;
/** Marks an inbound QoS 2 pid whose PUBREC was sent: the PUBREL is awaited. */
const RECEIVED = true;

/** The client's MQTT session: ids, in-flight requests, inbound QoS 2 state, received messages. */
export class Session {
  readonly inbox: Inbox;
  /** Requests awaiting their acknowledgement, oldest first (Map order is insertion order). */
  readonly #requests = new Map<number, Request>();
  /** Inbound QoS 2 pids until their PUBREL: the message while the application has not taken it. */
  // Created on first use, as the alias map: an idle connection pays for neither.
  #received: Map<number, Incoming | typeof RECEIVED> | undefined;
  // Comes with the first publish that waits for the window.
  #slots: Waiters | undefined;
  #publishes = 0;
  #lastPid = 0;
  #window: number;
  /** Counts accepted connections: a PUBACK is only sent on the connection its PUBLISH came on. */
  epoch = 0;
  /** Between an accepted CONNACK and the end of that connection. */
  online = false;
  /** (MQTT 5) The Topic Alias Maximum this client announced: aliases the broker may use. */
  aliasMax = 0;
  /** (MQTT 5) The broker's topic aliases on this connection: alias → topic. */
  #aliases: Map<number, Uint8Array> | undefined;

  /**
   * @param window QoS 1 and 2 publishes awaiting their acknowledgement at once (`maxInflight`).
   * @example
   * const session = new Session(32, new Inbox(1000, 1 << 20));
   */
  constructor(window: number, inbox: Inbox) {
    this.#window = window;
    this.inbox = inbox;
  }

  /** Requests awaiting an acknowledgement (publishes, subscribes, unsubscribes). */
  get size(): number {
    return this.#requests.size;
  }

  /** The publish window; lowered by a server's Receive Maximum, never below what is in flight. */
  get window(): number {
    return this.#window;
  }

  set window(n: number) {
    this.#window = n;
    while (this.#publishes < this.#window && this.#slots?.resolveNext()) this.#publishes++;
  }

  /** Next free packet id after the last one handed out; wraps after 65535 and skips 0. */
  allocate(): number {
    if (this.#requests.size >= MAX_PID) throw new RangeError("all 65535 packet ids are in flight");
    let pid = this.#lastPid;
    do pid = pid === MAX_PID ? 1 : pid + 1;
    while (this.#requests.has(pid));
    this.#lastPid = pid;
    return pid;
  }

  /**
   * Takes a window slot for a QoS 1/2 publish: `undefined` when one is free now (no promise on
   * the fast path), else a promise that resolves in call order.
   */
  acquireSlot(): Promise<void> | undefined {
    if (!this.#slots?.length && this.#publishes < this.#window) {
      this.#publishes++;
      return undefined;
    }
    this.#slots ??= new Waiters();
    return this.#slots.wait();
  }

  /** Gives a slot back (its publish was acknowledged or never sent); the next waiter gets it. */
  releaseSlot(): void {
    // Over a window that shrank (Receive Maximum), the slot is not handed on.
    if (this.#publishes > this.#window || !this.#slots?.resolveNext()) this.#publishes--;
  }

  /**
   * Records a request under `pid` until its acknowledgement. A PUBLISH frame gets the pid
   * written into it. Returns the frame to write now, or `undefined` while offline (a PUBLISH is
   * then written after the next CONNACK).
   */
  request(
    kind: RequestKind,
    pid: number,
    frame: Uint8Array,
    n: number,
    settle: Settle,
    wire = frame,
  ): Uint8Array | undefined {
    // `wire` is what goes out now (a PUBLISH using a topic alias of this connection); `frame`
    // is kept for re-sending on another connection.
    if (kind === RequestKind.PUBLISH) {
      setPacketId(frame, pid);
      if (wire !== frame) setPacketId(wire, pid);
    }
    const stage = this.online ? SENT : UNSENT;
    this.#requests.set(pid, {
      kind,
      frame,
      n,
      stage,
      resolve: settle.resolve,
      reject: settle.reject,
    });
    return stage === SENT ? wire : undefined;
  }

  /**
   * Takes one packet from the broker (anything but CONNACK). Returns the frame to write in
   * answer, if any; a received PUBLISH goes to the inbox. Throws a {@link ConnectionError}
   * (`ERR_PROTOCOL`) when the packet breaks the protocol: the connection must then close.
   */
  handle(packet: Packet | Packet5): Uint8Array | undefined {
    // [MQTT-3.2.0-1] the broker's first packet is the CONNACK
    if (!this.online)
      return violation(`${packet.type.toUpperCase()} before CONNACK [MQTT-3.2.0-1]`);
    switch (packet.type) {
      case "pingresp":
        return undefined; // the client's pings are the client's
      case "publish":
        return this.#publish(packet);
      case "puback": {
        // One lookup on the QoS 1 hot path; a PUBACK completes a QoS 1 or 2 publish alike.
        const request = this.#requests.get(packet.packetId);
        if (request?.kind !== RequestKind.PUBLISH) return undefined;
        this.#finish(packet.packetId);
        // A broker that takes QoS 2 as QoS 1 (RabbitMQ 3.x) answers it with PUBACK: the flow
        // can never complete, so that publish fails at once instead of hanging.
        if (request.n === 2) {
          request.reject(
            new MqttClientError(
              ErrorCode.PROTOCOL,
              "publish(qos): the broker answered a QoS 2 PUBLISH with PUBACK (it took it at QoS 1, at least once); publish with QoS 1 to this broker",
            ),
          );
        } else settleAck(request, packet);
        return undefined;
      }
      case "pubrec":
        // [MQTT-4.3.3-4] a refusing PUBREC ends the flow: no PUBREL, the id is free again
        if (failed(packet)) {
          settleAck(this.#complete(packet.packetId, 2), packet);
          return undefined;
        }
        return this.#pubrec(packet.packetId);
      case "pubcomp":
        if (this.#expect(packet.packetId, RequestKind.PUBLISH, 2)?.stage === SENT) {
          return violation("PUBCOMP before PUBREC");
        }
        this.#complete(packet.packetId, 2)?.resolve(0);
        return undefined;
      case "pubrel":
        // [MQTT-4.3.3-2] answered even for an unknown pid: the broker's flow must end
        this.#received?.delete(packet.packetId);
        return encodeAck("pubcomp", packet.packetId);
      case "suback": {
        const request = this.#expect(packet.packetId, RequestKind.SUBSCRIBE);
        if (!request) return undefined;
        const codes = "returnCodes" in packet ? packet.returnCodes : packet.reasonCodes;
        if (codes.length !== request.n) {
          return violation(
            `SUBACK with ${codes.length} return codes for a SUBSCRIBE of ${request.n} filters [MQTT-3.8.4-5]`,
          );
        }
        this.#requests.delete(packet.packetId);
        const code = codes[0]!;
        if (code < 0x80) request.resolve(code);
        else if ("returnCodes" in packet) request.reject(new MQTTException(0x80));
        else request.reject(rejection(packet, code));
        return undefined;
      }
      case "unsuback": {
        const request = this.#expect(packet.packetId, RequestKind.UNSUBSCRIBE);
        if (!request) return undefined;
        this.#requests.delete(packet.packetId);
        const code = "reasonCodes" in packet ? packet.reasonCodes[0]! : 0;
        code < 0x80 ? request.resolve(0) : request.reject(rejection(packet, code));
        return undefined;
      }
      default:
        return violation(`unexpected ${packet.type.toUpperCase()} from the broker`);
    }
  }

  /**
   * The application took `message`: returns the acknowledgement due now, if any — a PUBACK on
   * the connection it came in on (QoS 1), a PUBREC (QoS 2, also on a later connection of the
   * same session: the broker re-sends the PUBLISH there).
   */
  acknowledge(message: Incoming): Uint8Array | undefined {
    if (message.qos === 1) {
      return message.epoch === this.epoch && this.online
        ? encodeAck("puback", message.pid)
        : undefined;
    }
    if (message.qos !== 2 || this.#received?.get(message.pid) !== message) return undefined;
    this.#received.set(message.pid, RECEIVED);
    // Offline: the broker re-sends the PUBLISH, which is then answered with this PUBREC.
    return this.online ? encodeAck("pubrec", message.pid) : undefined;
  }

  /**
   * The application did not take `message` (its callback threw): a QoS 2 pid is forgotten, so
   * the broker's re-send is delivered again, as an unacknowledged QoS 1 message is.
   */
  refused(message: Incoming): void {
    if (message.qos === 2 && this.#received?.get(message.pid) === message) {
      this.#received.delete(message.pid);
    }
  }

  /**
   * A connection was accepted. Returns what must be written first, in the original order:
   * every unacknowledged PUBLISH (DUP = 1 when it was written before [MQTT-3.3.1-1]) and, with
   * the session present, the pending PUBRELs [MQTT-4.4.0-1]. Without a session on the broker
   * the inbound QoS 2 state is dropped, and a QoS 2 publish awaiting its PUBCOMP starts over
   * from its PUBLISH (the broker forgot it).
   */
  connected(sessionPresent: boolean): Uint8Array[] {
    this.epoch++;
    this.online = true;
    this.#aliases = undefined;
    if (!sessionPresent) this.#received = undefined;
    const out: Uint8Array[] = [];
    for (const [pid, request] of this.#requests) {
      if (request.stage === RELEASED && sessionPresent) {
        out.push(encodeAck("pubrel", pid));
        continue;
      }
      if (request.stage !== UNSENT) setDup(request.frame, true);
      request.stage = SENT;
      out.push(request.frame);
    }
    return out;
  }

  /**
   * The connection ended. With `keepPublishes` (robust) QoS 1/2 publishes stay for the next
   * connection and slot waiters keep waiting; every other request rejects with `err`.
   */
  disconnected(err: Error, keepPublishes: boolean): void {
    this.online = false;
    this.#rejectRequests(err, keepPublishes);
    if (!keepPublishes) this.#slots?.rejectAll(err);
  }

  /** Rejects every request and every publish waiting for a slot. */
  fail(err: Error): void {
    this.#rejectRequests(err, false);
    this.#slots?.rejectAll(err);
  }

  #publish(packet: Extract<Packet | Packet5, { type: "publish" }>): Uint8Array | undefined {
    const { qos } = packet;
    const pid = packet.packetId ?? 0;
    let topic = packet.topic;
    // A 3.1.1 PUBLISH has no `properties` field: reading it is undefined, no `in` test needed.
    let properties = (packet as { properties?: PublishProperties }).properties;
    const alias = properties?.topicAlias;
    if (alias !== undefined) {
      // [MQTT-3.3.2-9/10] only aliases this client allowed; an empty topic names a known one
      if (alias > this.aliasMax)
        return violation(`topic alias ${alias} over our maximum ${this.aliasMax}`);
      this.#aliases ??= new Map();
      const aliases = this.#aliases;
      if (topic.length > 0) aliases.set(alias, topic);
      else topic = aliases.get(alias) ?? violation(`unknown topic alias ${alias}`);
      const { topicAlias: _, ...rest } = properties!;
      properties = Object.keys(rest).length > 0 ? rest : undefined;
    }
    if (qos === 2) {
      const seen = this.#received?.get(pid);
      // A re-sent PUBLISH for a pid awaiting its PUBREL is not delivered again; if its PUBREC
      // was already sent (and lost), it is sent again.
      if (seen === RECEIVED) return encodeAck("pubrec", pid);
      if (seen !== undefined) return undefined;
    }
    const message: Incoming = {
      first: 0x30 | (packet.dup ? 8 : 0) | (qos << 1) | (packet.retain ? 1 : 0),
      topic,
      payload: packet.payload,
      qos,
      retain: packet.retain,
      dup: packet.dup,
      pid,
      epoch: this.epoch,
      // Always present (undefined on 3.1.1): one object shape, no spread per message.
      properties,
    };
    if (qos === 2) {
      this.#received ??= new Map();
      this.#received.set(pid, message);
    }
    this.inbox.push(message);
    return undefined;
  }

  #pubrec(pid: number): Uint8Array | undefined {
    const request = this.#expect(pid, RequestKind.PUBLISH, 2);
    if (request) request.stage = RELEASED;
    // A duplicate PUBREC, or one for a flow already complete, is answered the same way.
    return encodeAck("pubrel", pid);
  }

  /**
   * The request an acknowledgement answers, if it is of that kind (and QoS); an unknown or
   * mismatched pid — a late duplicate — is ignored.
   */
  #expect(pid: number, kind: RequestKind, qos = 0): Request | undefined {
    const request = this.#requests.get(pid);
    if (request?.kind !== kind || (kind === RequestKind.PUBLISH && request.n !== qos)) {
      return undefined;
    }
    return request;
  }

  /** Removes the QoS `qos` PUBLISH that an ack for `pid` completes, and frees its slot. */
  #complete(pid: number, qos: QoS): Request | undefined {
    const request = this.#expect(pid, RequestKind.PUBLISH, qos);
    if (request) this.#finish(pid);
    return request;
  }

  /** A publish's flow is over: its pid and its window slot are free. */
  #finish(pid: number): void {
    this.#requests.delete(pid);
    this.releaseSlot();
  }

  #rejectRequests(err: Error, keepPublishes: boolean): void {
    for (const [pid, request] of this.#requests) {
      if (keepPublishes && request.kind === RequestKind.PUBLISH) continue;
      this.#requests.delete(pid);
      if (request.kind === RequestKind.PUBLISH) this.releaseSlot();
      request.reject(err);
    }
  }
}

/** (MQTT 5) Whether an acknowledgement carries a failure reason code (≥ 0x80). */
function failed(packet: Packet | Packet5): boolean {
  return ((packet as { reasonCode?: number }).reasonCode ?? 0) >= 0x80;
}

/** Settles a completed publish from its acknowledgement: a failure reason code rejects it. */
function settleAck(request: Request | undefined, packet: Packet | Packet5): void {
  if (!request) return;
  if (failed(packet))
    request.reject(rejection(packet, (packet as { reasonCode: number }).reasonCode));
  else request.resolve(0);
}

/** An MQTTException for a reason code ≥ 0x80 in `packet`. */
function rejection(packet: Packet | Packet5, code: number): MQTTException {
  const props = (packet as { properties?: { reasonString?: string } }).properties;
  return refusal(
    code,
    packet.type.toUpperCase(),
    props?.reasonString,
    reasonName(code, packet.type),
  );
}

/** The error of a protocol violation by the broker: the connection must close. */
export function protocolError(message: string): ConnectionError {
  return new ConnectionError(
    ErrorCode.PROTOCOL,
    `protocol violation: ${message}; connection closed [MQTT-4.8.0-1]`,
  );
}

function violation(message: string): never {
  throw protocolError(message);
}
