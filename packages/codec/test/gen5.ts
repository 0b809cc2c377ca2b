// Seeded random MQTT 5 packets (valid ones, in decoded form) with random property sets.
import type { Packet5, QoS } from "../src/index.js";
import { bytes, hex, int, PACKET_TYPES, type Rng, text, topicFilter, topicName } from "./gen.js";

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];
const qos = (r: Rng): QoS => int(r, 3) as QoS;
const id = (r: Rng): number => 1 + int(r, 65535);
const utf8 = new TextEncoder();
const u32 = (r: Rng): number => pick(r, [0, 1, 0xffff_ffff, int(r, 2 ** 32), int(r, 1000)]);
const nz32 = (r: Rng): number => 1 + int(r, 2 ** 32 - 1);
const subId = (r: Rng): number =>
  pick(r, [1, 127, 128, 16_383, 16_384, 268_435_455, 1 + int(r, 268_435_455)]);

/** A random value for each property, by name (the spec's type and range). */
const VALUES: Record<string, (r: Rng) => unknown> = {
  payloadFormatIndicator: (r) => r() < 0.5,
  messageExpiryInterval: u32,
  contentType: (r) => text(r, 12),
  responseTopic: topicName,
  correlationData: (r) => bytes(r, 16),
  subscriptionIdentifier: subId,
  sessionExpiryInterval: u32,
  assignedClientIdentifier: (r) => text(r, 12),
  serverKeepAlive: (r) => int(r, 65536),
  authenticationMethod: (r) => text(r, 12),
  authenticationData: (r) => bytes(r, 16),
  requestProblemInformation: (r) => r() < 0.5,
  willDelayInterval: u32,
  requestResponseInformation: (r) => r() < 0.5,
  responseInformation: (r) => text(r, 12),
  serverReference: (r) => text(r, 12),
  reasonString: (r) => text(r, 20),
  receiveMaximum: (r) => 1 + int(r, 65535),
  topicAliasMaximum: (r) => int(r, 65536),
  topicAlias: (r) => 1 + int(r, 65535),
  maximumQoS: (r) => int(r, 2),
  retainAvailable: (r) => r() < 0.5,
  maximumPacketSize: nz32,
  wildcardSubscriptionAvailable: (r) => r() < 0.5,
  subscriptionIdentifiersAvailable: (r) => r() < 0.5,
  sharedSubscriptionAvailable: (r) => r() < 0.5,
  userProperties: (r) => {
    const u: Record<string, string | string[]> = {};
    for (let i = 1 + int(r, 3); i > 0; i--) {
      const k = text(r, 6);
      u[k] = r() < 0.3 ? [text(r, 6), text(r, 6)] : text(r, 6);
    }
    return u;
  },
};

/** The properties each packet may carry (MQTT 5, 2.2.2.2), written out independently of src. */
export const ALLOWED: Record<string, readonly string[]> = {
  will: "willDelayInterval payloadFormatIndicator messageExpiryInterval contentType responseTopic correlationData userProperties".split(
    " ",
  ),
  connect:
    "sessionExpiryInterval receiveMaximum maximumPacketSize topicAliasMaximum requestResponseInformation requestProblemInformation userProperties authenticationMethod authenticationData".split(
      " ",
    ),
  connack:
    "sessionExpiryInterval receiveMaximum maximumQoS retainAvailable maximumPacketSize assignedClientIdentifier topicAliasMaximum reasonString userProperties wildcardSubscriptionAvailable subscriptionIdentifiersAvailable sharedSubscriptionAvailable serverKeepAlive responseInformation serverReference authenticationMethod authenticationData".split(
      " ",
    ),
  publish:
    "payloadFormatIndicator messageExpiryInterval topicAlias responseTopic correlationData userProperties subscriptionIdentifier contentType".split(
      " ",
    ),
  ack: ["reasonString", "userProperties"],
  subscribe: ["subscriptionIdentifier", "userProperties"],
  unsubscribe: ["userProperties"],
  disconnect: ["sessionExpiryInterval", "reasonString", "userProperties", "serverReference"],
  auth: ["authenticationMethod", "authenticationData", "reasonString", "userProperties"],
};

/** A random subset of the properties `kind` allows (in random order), or undefined. */
export function randomProps(r: Rng, kind: string): Record<string, unknown> | undefined {
  if (r() < 0.25) return undefined;
  const names = [...ALLOWED[kind]].sort(() => r() - 0.5);
  const out: Record<string, unknown> = {};
  for (const n of names.slice(0, int(r, names.length + 1))) out[n] = VALUES[n](r);
  // a PUBLISH from the server may carry several Subscription Identifiers
  if (kind === "publish" && out.subscriptionIdentifier !== undefined && r() < 0.3)
    out.subscriptionIdentifier = [subId(r), subId(r)];
  return Object.keys(out).length ? out : undefined;
}

/** All 15 MQTT 5 packet types: 3.1.1's and AUTH. */
export const PACKET_TYPES5: readonly Packet5["type"][] = [...PACKET_TYPES, "auth"];

/** Reason codes each packet may carry (2.4). */
export const REASONS: Record<string, readonly number[]> = {
  connack: [
    0, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97,
    0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
  ],
  puback: [0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0, 0x92],
  pubcomp: [0, 0x92],
  suback: [0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
  auth: [0, 0x18, 0x19],
};

const reason = (r: Rng, t: string): number => (r() < 0.4 ? 0 : pick(r, REASONS[t]));

const WEIGHTED: readonly Packet5["type"][] = [...PACKET_TYPES5, "publish", "publish"];

/** A random valid MQTT 5 packet of type `type` (or of any type). */
export function randomPacket5(r: Rng, type?: Packet5["type"]): Packet5 {
  const t = type ?? pick(r, WEIGHTED);
  // biome-ignore lint/suspicious/noExplicitAny: assembled field by field
  const p: any = { type: t };
  switch (t) {
    case "connect":
      p.clientId = r() < 0.2 ? "" : text(r, 23);
      p.cleanSession = r() < 0.5;
      p.keepalive = int(r, 65536);
      if (r() < 0.5) {
        p.will = { topic: topicName(r), payload: bytes(r, 20), qos: qos(r), retain: r() < 0.5 };
        const wp = randomProps(r, "will");
        if (wp) p.will.properties = wp;
      }
      if (r() < 0.5) p.username = text(r, 10);
      if (r() < 0.4) p.password = bytes(r, 10);
      break;
    case "connack":
      p.reasonCode = reason(r, t);
      p.sessionPresent = p.reasonCode === 0 && r() < 0.5;
      break;
    case "publish": {
      p.qos = qos(r);
      p.retain = r() < 0.5;
      p.dup = p.qos > 0 && r() < 0.5;
      if (p.qos > 0) p.packetId = id(r);
      const pp = randomProps(r, "publish");
      // an empty topic stands for a Topic Alias (3.3.2.1)
      p.topic = utf8.encode(pp?.topicAlias !== undefined && r() < 0.5 ? "" : topicName(r));
      p.payload = bytes(r, r() < 0.05 ? 3000 : 40);
      if (pp) p.properties = pp;
      return p;
    }
    case "subscribe":
      p.packetId = id(r);
      p.subscriptions = [];
      for (let i = 1 + int(r, 4); i > 0; i--) {
        const shared = r() < 0.2;
        p.subscriptions.push({
          topicFilter: shared
            ? `$share/${text(r, 4).replaceAll("/", "") || "g"}/${topicFilter(r)}`
            : topicFilter(r),
          qos: qos(r),
          noLocal: !shared && r() < 0.5,
          retainAsPublished: r() < 0.5,
          retainHandling: int(r, 3),
        });
      }
      break;
    case "suback":
    case "unsuback":
      p.packetId = id(r);
      p.reasonCodes = [];
      for (let i = 1 + int(r, 4); i > 0; i--) p.reasonCodes.push(pick(r, REASONS[t]));
      break;
    case "unsubscribe":
      p.packetId = id(r);
      p.topicFilters = [];
      for (let i = 1 + int(r, 4); i > 0; i--) p.topicFilters.push(topicFilter(r));
      break;
    case "pingreq":
    case "pingresp":
      return p;
    case "disconnect":
    case "auth":
      p.reasonCode = reason(r, t);
      break;
    default:
      p.packetId = id(r);
      p.reasonCode = reason(r, t);
  }
  const kind =
    t === "puback" ||
    t === "pubrec" ||
    t === "pubrel" ||
    t === "pubcomp" ||
    t === "suback" ||
    t === "unsuback"
      ? "ack"
      : t;
  const props = randomProps(r, kind);
  if (props) p.properties = props;
  return p;
}

/** A frame: first byte, then Remaining Length, then `body` (hex). */
export function frame(first: number, body: string): string {
  const b = hex(body);
  return `${first.toString(16)} ${b.length.toString(16).padStart(2, "0")} ${body}`;
}
