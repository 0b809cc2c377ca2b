/**
 * Design: what MQTT 5 adds to the facade, kept apart so the 3.1.1 path reads as before: the
 * rules a server's CONNACK sets (what it cannot do is refused before anything is sent), the
 * automatic outbound topic aliases of one connection, the SUBSCRIBE options, and a server's
 * DISCONNECT as a typed error. The session rules (reason codes on acks, inbound aliases) are
 * in session.ts.
 */
import {
  type Bytes,
  type ConnackProperties,
  encodePublishV5,
  type PublishProperties,
  type QoS,
  reasonName,
  type SubscribeInput5,
  type UserProperties,
} from "@umqtt/codec";
import { ServerDisconnectError } from "./errors.js";
import { checkBoolean, checkInteger, fail, mustBe } from "./validate.js";

/** (MQTT 5) Options of one subscription: `subscribe(topic, qos, options)`. */
export interface SubscribeOptions {
  /** Do not receive this client's own publishes on it. */
  noLocal?: boolean;
  /** Keep the RETAIN flag as published (else 0 on live messages). */
  retainAsPublished?: boolean;
  /** 0: send retained messages (default), 1: only on a new subscription, 2: never. */
  retainHandling?: 0 | 1 | 2;
  /** 1 … 268,435,455: messages it delivers carry it (routing, in @umqtt/default). */
  subscriptionIdentifier?: number;
  userProperties?: UserProperties;
}

const OPTION_NAMES = [
  "noLocal",
  "retainAsPublished",
  "retainHandling",
  "subscriptionIdentifier",
  "userProperties",
];

/** Refuses an MQTT 5 argument on an MQTT 3.1.1 client. */
export function needsV5(value: unknown, where: string, v5: boolean): void {
  if (value !== undefined && !v5)
    fail(where, "MQTT 5 properties and options need protocolVersion: 5");
}

/** Checks publish() properties: an object, without what the client manages itself. */
export function checkPublishProperties(properties: unknown): void {
  if (properties === null || typeof properties !== "object") {
    mustBe("publish(properties)", "an object of MQTT 5 PUBLISH properties", properties);
  }
  const p = properties as PublishProperties;
  if (p.topicAlias !== undefined) {
    fail("publish(properties)", "topicAlias is managed by the client (automatic aliases)");
  }
  if (p.subscriptionIdentifier !== undefined) {
    fail("publish(properties)", "subscriptionIdentifier is for the server to send [MQTT-3.3.4-6]");
  }
}

/** Refuses a publish the server said it cannot take (CONNACK Retain Available, Maximum QoS). */
export function checkPublishAllowed(
  caps: ConnackProperties | undefined,
  retain: boolean,
  qos: QoS,
): void {
  if (!caps) return;
  if (retain && caps.retainAvailable === false) {
    fail("publish(retain)", "the server has no retained messages (CONNACK Retain Available 0)");
  }
  if (caps.maximumQoS !== undefined && qos > caps.maximumQoS) {
    fail("publish(qos)", `the server's Maximum QoS is ${caps.maximumQoS} (CONNACK)`);
  }
}

/** Refuses a PUBLISH larger than the server's Maximum Packet Size. */
export function checkPacketSize(caps: ConnackProperties | undefined, size: number): void {
  const max = caps?.maximumPacketSize;
  if (max !== undefined && size > max) {
    fail(
      "publish(msg)",
      `the PUBLISH is ${size} bytes, over the server's Maximum Packet Size of ${max}`,
    );
  }
}

/**
 * The SUBSCRIBE for one filter with MQTT 5 options, after refusing what the server said it
 * cannot do (wildcards, shared subscriptions, subscription identifiers) or the options break.
 */
export function subscribe5(
  pid: number,
  topic: string,
  qos: QoS,
  options: SubscribeOptions | undefined,
  caps: ConnackProperties | undefined,
): SubscribeInput5 {
  const o = options ?? {};
  if (o === null || typeof o !== "object") mustBe("subscribe(options)", "an object", o);
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.includes(key)) {
      fail(
        "subscribe(options)",
        `unknown option ${JSON.stringify(key)}; the known ones are ${OPTION_NAMES.join(", ")}`,
      );
    }
  }
  if (o.noLocal !== undefined) checkBoolean(o.noLocal, "subscribe(options.noLocal)");
  if (o.retainAsPublished !== undefined) {
    checkBoolean(o.retainAsPublished, "subscribe(options.retainAsPublished)");
  }
  if (o.retainHandling !== undefined)
    checkInteger(o.retainHandling, "subscribe(options.retainHandling)", 0, 2);
  const id = o.subscriptionIdentifier;
  if (id !== undefined)
    checkInteger(id, "subscribe(options.subscriptionIdentifier)", 1, 268_435_455);
  const shared = topic.startsWith("$share/");
  if (caps?.wildcardSubscriptionAvailable === false && /[+#]/.test(topic)) {
    fail("subscribe(topic)", "the server takes no wildcard subscriptions (CONNACK)");
  }
  if (caps?.sharedSubscriptionAvailable === false && shared) {
    fail("subscribe(topic)", "the server takes no shared subscriptions (CONNACK)");
  }
  if (caps?.subscriptionIdentifiersAvailable === false && id !== undefined) {
    fail(
      "subscribe(options.subscriptionIdentifier)",
      "the server takes no subscription identifiers (CONNACK)",
    );
  }
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
  if (shared && o.noLocal)
    fail("subscribe(options.noLocal)", "not allowed on a shared subscription");
  const properties = {
    ...(id !== undefined ? { subscriptionIdentifier: id } : {}),
    ...(o.userProperties ? { userProperties: o.userProperties } : {}),
  };
  return {
    type: "subscribe",
    packetId: pid,
    subscriptions: [
      {
        topicFilter: topic,
        qos,
        noLocal: o.noLocal ?? false,
        retainAsPublished: o.retainAsPublished ?? false,
        retainHandling: o.retainHandling ?? 0,
      },
    ],
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  };
}

/**
 * Automatic outbound topic aliases on one connection [MQTT-3.3.2-8]: the first PUBLISH of a
 * topic carries it with a new alias, later ones an empty topic and the alias. Each connection
 * whose CONNACK allows aliases gets its own; re-sent PUBLISHes use their full topic.
 */
export class TopicAliases {
  readonly #aliases = new Map<string, number>();
  readonly #max: number;

  /** The server allows `max` aliases (CONNACK Topic Alias Maximum). */
  constructor(max: number) {
    this.#max = max;
  }

  /** The frame to write now for this publish: `frame` itself, or one using an alias. */
  wire(
    frame: Uint8Array,
    topic: Bytes,
    msg: Bytes,
    qos: QoS,
    retain: boolean,
    properties: PublishProperties | undefined,
  ): Uint8Array {
    if (typeof topic !== "string") return frame;
    const aliases = this.#aliases;
    let alias = aliases.get(topic);
    const known = alias !== undefined;
    if (!known) {
      if (aliases.size >= this.#max) return frame;
      alias = aliases.size + 1;
      aliases.set(topic, alias);
    }
    return encodePublishV5(known ? "" : topic, msg, qos, retain, false, qos ? 1 : undefined, {
      ...properties,
      topicAlias: alias,
    });
  }
}

/** A server's DISCONNECT as the error the connection closes with. */
export function serverDisconnect(packet: {
  reasonCode?: number;
  properties?: { reasonString?: string };
}): ServerDisconnectError {
  const code = packet.reasonCode ?? 0;
  return new ServerDisconnectError(
    code,
    packet.properties?.reasonString,
    reasonName(code, "disconnect"),
  );
}
