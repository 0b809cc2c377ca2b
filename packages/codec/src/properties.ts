import {
  BIN,
  block,
  end,
  type Fields,
  field,
  pos,
  reading,
  STR,
  TOPIC,
  u8,
  u16,
  u32,
  vbi,
} from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import { NAMES } from "./packet-types.js";

/*
 * Design: one table gives every MQTT 5 property (2.2.2.2) its identifier, value type and the
 * packets it may appear in; props() reads, measures or writes a whole property block through
 * the cursor, so each rule (allowed here, at most once, value range) is one line for both
 * directions. A decoded block is a fresh object; an empty one decodes to `undefined`.
 */

/** User Properties: name → value, or values when a name repeats; key order as on the wire. */
export type UserProperties = Record<string, string | string[]>;

/** Properties of a CONNECT (3.1.2.11). */
export interface ConnectProperties {
  sessionExpiryInterval?: number;
  /** 1..65535 */
  receiveMaximum?: number;
  /** 1..4294967295 */
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperties;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

/** Properties of the will message in a CONNECT (3.1.3.2). */
export interface WillProperties {
  willDelayInterval?: number;
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  /** A topic name: no wildcards. */
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
}

/** Properties of a CONNACK (3.2.2.3). */
export interface ConnackProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  /** 0 or 1 (absent: 2) */
  maximumQoS?: number;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  assignedClientIdentifier?: string;
  topicAliasMaximum?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;
  responseInformation?: string;
  serverReference?: string;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}

/** Properties of a PUBLISH (3.3.2.3). */
export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  /** 1..65535 */
  topicAlias?: number;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
  /** 1..268435455; a PUBLISH from the server may carry several (one per matching subscription). */
  subscriptionIdentifier?: number | number[];
  contentType?: string;
}

/** Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK. */
export interface AckProperties {
  reasonString?: string;
  userProperties?: UserProperties;
}

/** Properties of a SUBSCRIBE (3.8.2.1). */
export interface SubscribeProperties {
  /** 1..268435455 */
  subscriptionIdentifier?: number;
  userProperties?: UserProperties;
}

/** Properties of an UNSUBSCRIBE (3.10.2.1). */
export interface UnsubscribeProperties {
  userProperties?: UserProperties;
}

/** Properties of a DISCONNECT (3.14.2.2). */
export interface DisconnectProperties {
  sessionExpiryInterval?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  serverReference?: string;
}

/** Properties of an AUTH (3.15.2.2). */
export interface AuthProperties {
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  reasonString?: string;
  userProperties?: UserProperties;
}

/** Any property block. */
export type Properties =
  | ConnectProperties
  | WillProperties
  | ConnackProperties
  | PublishProperties
  | AckProperties
  | SubscribeProperties
  | UnsubscribeProperties
  | DisconnectProperties
  | AuthProperties;

// Value types (1.5): boolean byte, byte 0/1, Two/Four Byte Integer (the +1 forms refuse 0),
// Variable Byte Integer 1..268,435,455, UTF-8 string, topic name, binary, string pair.
const BOOL = 0;
const BYTE01 = 1;
const U16 = 2;
const U16NZ = 3;
const U32 = 4;
const U32NZ = 5;
const VBI = 6;
const STRING = 7;
const TOPICNAME = 8;
const BINARY = 9;
const PAIR = 10;

// Where a property may appear: a bit per packet type code; bit 0 is the will in a CONNECT.
const WILL = 1 << 0;
const CONNECT = 1 << 1;
const CONNACK = 1 << 2;
const PUBLISH = 1 << 3;
const ACKS = 0xf0 | (1 << 9) | (1 << 11); // PUBACK..PUBCOMP, SUBACK, UNSUBACK
const SUBSCRIBE = 1 << 8;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;
const MESSAGE = WILL | PUBLISH;

/** name → [identifier, type, packets] */
const TABLE: Record<string, [number, number, number]> = {
  payloadFormatIndicator: [1, BOOL, MESSAGE],
  messageExpiryInterval: [2, U32, MESSAGE],
  contentType: [3, STRING, MESSAGE],
  responseTopic: [8, TOPICNAME, MESSAGE],
  correlationData: [9, BINARY, MESSAGE],
  subscriptionIdentifier: [11, VBI, PUBLISH | SUBSCRIBE],
  sessionExpiryInterval: [17, U32, CONNECT | CONNACK | DISCONNECT],
  assignedClientIdentifier: [18, STRING, CONNACK],
  serverKeepAlive: [19, U16, CONNACK],
  authenticationMethod: [21, STRING, CONNECT | CONNACK | AUTH],
  authenticationData: [22, BINARY, CONNECT | CONNACK | AUTH],
  requestProblemInformation: [23, BOOL, CONNECT],
  willDelayInterval: [24, U32, WILL],
  requestResponseInformation: [25, BOOL, CONNECT],
  responseInformation: [26, STRING, CONNACK],
  serverReference: [28, STRING, CONNACK | DISCONNECT],
  reasonString: [31, STRING, CONNACK | ACKS | DISCONNECT | AUTH],
  receiveMaximum: [33, U16NZ, CONNECT | CONNACK],
  topicAliasMaximum: [34, U16, CONNECT | CONNACK],
  topicAlias: [35, U16NZ, PUBLISH],
  maximumQoS: [36, BYTE01, CONNACK],
  retainAvailable: [37, BOOL, CONNACK],
  userProperties: [38, PAIR, 0xffff],
  maximumPacketSize: [39, U32NZ, CONNECT | CONNACK],
  wildcardSubscriptionAvailable: [40, BOOL, CONNACK],
  subscriptionIdentifiersAvailable: [41, BOOL, CONNACK],
  sharedSubscriptionAvailable: [42, BOOL, CONNACK],
};

/** identifier → name */
const BY_ID: string[] = [];
for (const name in TABLE) BY_ID[TABLE[name][0]] = name;

const { BAD_PROPERTY } = CodecErrorCode;
const bad = (name: string, rule: string): never => fail(BAD_PROPERTY, `${name} ${rule}`);

/** Largest value of each integer type, by type. */
const MAX = [1, 1, 0xffff, 0xffff, 0xffff_ffff, 0xffff_ffff, 268_435_455];

/** One value of type `type` (read, measured or written); checks its range both ways. */
function value(type: number, v: unknown, name: string): unknown {
  if (type === STRING || type === TOPICNAME) return field(v, type === STRING ? STR : TOPIC, name);
  if (type === BINARY) return field(v, BIN, name);
  if (type === BOOL) {
    if (!reading && typeof v !== "boolean") bad(name, "must be a boolean");
    const b = u8(v ? 1 : 0);
    return b > 1 ? bad(name, "must be 0 or 1") : b === 1;
  }
  const max = MAX[type];
  if (!reading && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max))
    bad(name, `must be an integer 0..${max}`);
  const n =
    type === BYTE01
      ? u8(v as number)
      : type < U32
        ? u16(v as number, name)
        : type < VBI
          ? u32(v as number, name)
          : vbi(v as number, name);
  // [MQTT-3.3.2-8] Topic Alias, Receive Maximum, Maximum Packet Size, Subscription Identifier
  if (n === 0 && (type === U16NZ || type === U32NZ || type === VBI)) bad(name, "must not be 0");
  return n > max ? bad(name, `must be 0..${max}`) : n;
}

/** Reads the properties of a block whose packet is `kind` (a type code; 0: the will). */
function read(_: unknown, kind: number): Fields | undefined {
  let out: Fields | undefined;
  while (pos < end) {
    const code = vbi(0, "property identifier");
    const name = BY_ID[code] ?? fail(BAD_PROPERTY, `unknown property identifier ${code}`);
    const [, type, where] = TABLE[name];
    allowed(where, kind, name);
    out ??= {};
    if (type === PAIR) {
      const k = field(0, STR, "user property name") as string;
      const v = field(0, STR, "user property value") as string;
      // a null prototype: a name like "__proto__" is data, not an accessor
      out.userProperties ??= Object.create(null);
      const u: UserProperties = out.userProperties;
      const had = u[k];
      u[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    } else {
      const v = value(type, 0, name);
      const had = out[name];
      if (had === undefined) out[name] = v;
      // (3.3.2.3.8) a PUBLISH may carry several Subscription Identifiers; all else at most once
      else if (kind === 3 && code === 11) out[name] = Array.isArray(had) ? [...had, v] : [had, v];
      else fail(CodecErrorCode.DUPLICATE_PROPERTY, `${name} more than once`);
    }
  }
  return out;
}

function allowed(where: number, kind: number, name: string): void {
  if (!(where & (1 << kind)))
    fail(
      CodecErrorCode.PROPERTY_NOT_ALLOWED,
      `${name} not allowed in ${kind ? NAMES[kind].toUpperCase() : "will properties"}`,
    );
}

/** Measures or writes the properties `p` of a packet `kind`. */
function write(p: unknown, kind: number): undefined {
  if (p === undefined) return;
  if (typeof p !== "object" || p === null || Array.isArray(p))
    bad("properties", "must be an object");
  const props = p as Fields;
  for (const name of Object.keys(props)) {
    const v = props[name];
    if (v === undefined) continue;
    const [code, type, where] = Object.hasOwn(TABLE, name)
      ? TABLE[name]
      : fail(BAD_PROPERTY, `unknown property ${name}`);
    allowed(where, kind, name);
    if (type === PAIR) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) bad(name, "must be an object");
      for (const k of Object.keys(v)) {
        const vs = v[k];
        for (const x of Array.isArray(vs) ? vs : [vs]) {
          u8(code);
          field(k, STR, "user property name");
          field(x, STR, "user property value");
        }
      }
    } else if (Array.isArray(v) && kind === 3 && code === 11) {
      if (v.length === 0) bad(name, "must not be an empty list");
      for (const x of v) {
        u8(code);
        value(type, x, name);
      }
    } else {
      u8(code);
      value(type, v, name);
    }
  }
}

/**
 * The property block of a packet of type code `kind` (0: the will properties of a CONNECT):
 * reads it (`undefined` when empty) or measures/writes `p`.
 */
export function props(p: unknown, kind: number): Fields | undefined {
  return block(reading ? read : write, p, kind);
}

/** Whether encode must write a property block for `p` (an invalid `p` is written, to be refused). */
export function hasProps(p: unknown): boolean {
  return (
    p !== undefined &&
    (typeof p !== "object" ||
      p === null ||
      Array.isArray(p) ||
      Object.values(p).some((v) => v !== undefined))
  );
}
