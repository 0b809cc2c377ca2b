/**
 * Design: an MQTT frame reader and builder written from the packet layouts of MQTT 3.1.1
 * (OASIS standard, §2–3), independent of @umqtt/codec, so a test that checks the client's bytes
 * does not ask the codec under test whether the codec is right. It reads what either side
 * writes (any chunking) into plain records with the fields tests look at, and builds the
 * packets a test sends. The protocol level is a parameter everywhere (4 = 3.1.1, 5 = MQTT 5):
 * for 5 the reader skips each property block and keeps its bytes raw in `properties`, and the
 * builders write an empty property block; decoding properties is left for the MQTT 5 work.
 */

/** The CONNECT protocol level: 4 is MQTT 3.1.1, 5 is MQTT 5. */
export type ProtocolLevel = 4 | 5;

/** Packet type numbers (the fixed header's high nibble). */
export const PacketType = {
  reserved: 0,
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;
export type PacketTypeName = keyof typeof PacketType;
const NAMES = Object.keys(PacketType) as PacketTypeName[];

/** One whole packet as it came off the wire: the first header byte and the body after the length. */
export interface Frame {
  /** Type (high nibble) and flags (low nibble). */
  first: number;
  /** Variable header and payload. */
  body: Uint8Array;
}

export interface ConnectPacket {
  type: "connect";
  /** The protocol name, "MQTT" (or "MQIsdp" from a 3.1 client). */
  protocol: string;
  level: number;
  /** The connect flags byte: 0x80 user, 0x40 password, 0x20 will retain, 0x18 will QoS, 0x04 will, 0x02 clean. */
  connectFlags: number;
  cleanSession: boolean;
  keepalive: number;
  clientId: string;
  will?: {
    topic: string;
    payload: Uint8Array;
    qos: number;
    retain: boolean;
    properties?: Uint8Array;
  };
  username?: string;
  password?: Uint8Array;
  properties?: Uint8Array;
}
export interface ConnackPacket {
  type: "connack";
  sessionPresent: boolean;
  /** 3.1.1 return code (MQTT 5: reason code). */
  returnCode: number;
  properties?: Uint8Array;
}
export interface PublishPacket {
  type: "publish";
  dup: boolean;
  qos: number;
  retain: boolean;
  topic: string;
  /** Present for QoS 1 and 2. */
  pid?: number;
  payload: Uint8Array;
  properties?: Uint8Array;
}
export interface AckPacket {
  type: "puback" | "pubrec" | "pubrel" | "pubcomp";
  pid: number;
  /** MQTT 5 only, when the sender wrote one. */
  reasonCode?: number;
  properties?: Uint8Array;
}
export interface SubscribePacket {
  type: "subscribe";
  pid: number;
  /** Each filter with its requested QoS byte (MQTT 5: the subscription options byte). */
  filters: { filter: string; qos: number }[];
  properties?: Uint8Array;
}
export interface SubackPacket {
  type: "suback";
  pid: number;
  /** Granted QoS or 0x80 per filter (MQTT 5: reason codes). */
  codes: number[];
  properties?: Uint8Array;
}
export interface UnsubscribePacket {
  type: "unsubscribe";
  pid: number;
  filters: { filter: string }[];
  properties?: Uint8Array;
}
export interface UnsubackPacket {
  type: "unsuback";
  pid: number;
  /** MQTT 5 only. */
  codes?: number[];
  properties?: Uint8Array;
}
export interface EmptyPacket {
  type: "pingreq" | "pingresp" | "reserved";
}
export interface DisconnectPacket {
  type: "disconnect" | "auth";
  /** MQTT 5 only, when the sender wrote one. */
  reasonCode?: number;
  properties?: Uint8Array;
}

/** Any packet the reader returns. */
export type WirePacket =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | EmptyPacket
  | DisconnectPacket;

/** The packet record for type name T (AckPacket serves four names). */
export type WirePacketOf<T extends WirePacket["type"]> = Narrow<WirePacket, T>;
type Narrow<P, T> = P extends { type: infer U } ? (T extends U ? P & { type: T } : never) : never;

/** The bytes were not an MQTT packet (a length field past 4 bytes, a field past the body's end). */
export class FrameError extends Error {
  override name = "FrameError";
  readonly code = "EFRAME";
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const frames = new WeakMap<WirePacket, Frame>();

/** The frame a packet record was parsed from (its exact header byte and body). */
export function frameOf(packet: WirePacket): Frame {
  const frame = frames.get(packet);
  if (!frame) throw new FrameError("frameOf: this record was not made by parsePacket()");
  return frame;
}

/**
 * Splits a byte stream into frames, whatever the chunking: bytes of an unfinished frame wait
 * for the next `push`.
 *
 * @example
 * const reader = new FrameReader();
 * reader.push(Uint8Array.of(0xc0)); // []
 * reader.push(Uint8Array.of(0x00)); // [{ first: 0xc0, body: <empty> }]
 */
export class FrameReader {
  #rest = new Uint8Array(0);

  /** Bytes received but not yet part of a whole frame. */
  get pending(): number {
    return this.#rest.length;
  }

  push(chunk: Uint8Array): Frame[] {
    let bytes = chunk;
    if (this.#rest.length > 0) {
      bytes = new Uint8Array(this.#rest.length + chunk.length);
      bytes.set(this.#rest);
      bytes.set(chunk, this.#rest.length);
    }
    const out: Frame[] = [];
    let at = 0;
    for (;;) {
      const header = readLength(bytes, at + 1);
      if (!header) break;
      const [length, bodyAt] = header;
      if (bytes.length - bodyAt < length) break;
      out.push({ first: bytes[at]!, body: bytes.slice(bodyAt, bodyAt + length) });
      at = bodyAt + length;
    }
    this.#rest = bytes.slice(at);
    return out;
  }
}

/** The remaining length at `at` and where the body starts, or undefined if not all here yet. */
function readLength(bytes: Uint8Array, at: number): [number, number] | undefined {
  let length = 0;
  for (let i = 0; i < 4; i++) {
    if (at + i >= bytes.length) return undefined;
    const b = bytes[at + i]!;
    length += (b & 0x7f) * 128 ** i;
    if ((b & 0x80) === 0) return [length, at + i + 1];
  }
  throw new FrameError("remaining length longer than 4 bytes");
}

/** A cursor over one body that refuses to read past its end. */
class Fields {
  at = 0;
  constructor(readonly body: Uint8Array) {}
  get left(): number {
    return this.body.length - this.at;
  }
  u8(): number {
    this.need(1);
    return this.body[this.at++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.body[this.at]! << 8) | this.body[this.at + 1]!;
    this.at += 2;
    return v;
  }
  binary(): Uint8Array {
    const n = this.u16();
    this.need(n);
    this.at += n;
    return this.body.slice(this.at - n, this.at);
  }
  string(): string {
    return decoder.decode(this.binary());
  }
  rest(): Uint8Array {
    const out = this.body.slice(this.at);
    this.at = this.body.length;
    return out;
  }
  /** An MQTT 5 property block: its varint length, then that many bytes, kept raw. */
  properties(): Uint8Array {
    const header = readLength(this.body, this.at);
    if (!header) throw new FrameError("property length runs past the packet");
    const [n, start] = header;
    this.at = start;
    this.need(n);
    this.at += n;
    return this.body.slice(start, start + n);
  }
  private need(n: number): void {
    if (this.left < n)
      throw new FrameError(`field runs past the end of the packet at byte ${this.at}`);
  }
}

/**
 * Reads one frame into a record. `level` is the protocol level of the connection (a CONNECT
 * carries its own).
 *
 * @example
 * parsePacket({ first: 0x40, body: Uint8Array.of(0, 7) }); // { type: "puback", pid: 7 }
 */
export function parsePacket(frame: Frame, level: ProtocolLevel = 4): WirePacket {
  const packet = parseFields(frame, level);
  frames.set(packet, frame);
  return packet;
}

function parseFields({ first, body }: Frame, level: ProtocolLevel): WirePacket {
  const f = new Fields(body);
  const type = NAMES[first >> 4]!;
  const v5 = level === 5;
  switch (type) {
    case "connect": {
      const protocol = f.string();
      const connectLevel = f.u8();
      const connectFlags = f.u8();
      const keepalive = f.u16();
      const own5 = connectLevel === 5;
      const properties = own5 ? f.properties() : undefined;
      const p: ConnectPacket = {
        type,
        protocol,
        level: connectLevel,
        connectFlags,
        cleanSession: (connectFlags & 0x02) !== 0,
        keepalive,
        clientId: f.string(),
        ...(properties ? { properties } : {}),
      };
      if (connectFlags & 0x04) {
        const willProperties = own5 ? f.properties() : undefined;
        p.will = {
          topic: f.string(),
          payload: f.binary(),
          qos: (connectFlags >> 3) & 3,
          retain: (connectFlags & 0x20) !== 0,
          ...(willProperties ? { properties: willProperties } : {}),
        };
      }
      if (connectFlags & 0x80) p.username = f.string();
      if (connectFlags & 0x40) p.password = f.binary();
      return p;
    }
    case "connack": {
      const flags = f.u8();
      const returnCode = f.u8();
      return {
        type,
        sessionPresent: (flags & 1) !== 0,
        returnCode,
        ...(v5 && f.left > 0 ? { properties: f.properties() } : {}),
      };
    }
    case "publish": {
      const qos = (first >> 1) & 3;
      const topic = f.string();
      const pid = qos > 0 ? f.u16() : undefined;
      const properties = v5 ? f.properties() : undefined;
      return {
        type,
        dup: (first & 0x08) !== 0,
        qos,
        retain: (first & 0x01) !== 0,
        topic,
        ...(pid === undefined ? {} : { pid }),
        payload: f.rest(),
        ...(properties ? { properties } : {}),
      };
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp": {
      const p: AckPacket = { type, pid: f.u16() };
      if (v5 && f.left > 0) p.reasonCode = f.u8();
      if (v5 && f.left > 0) p.properties = f.properties();
      return p;
    }
    case "subscribe":
    case "unsubscribe": {
      const pid = f.u16();
      const properties = v5 ? f.properties() : undefined;
      const extra = properties ? { properties } : {};
      if (type === "subscribe") {
        const filters: SubscribePacket["filters"] = [];
        while (f.left > 0) filters.push({ filter: f.string(), qos: f.u8() });
        return { type, pid, filters, ...extra };
      }
      const filters: UnsubscribePacket["filters"] = [];
      while (f.left > 0) filters.push({ filter: f.string() });
      return { type, pid, filters, ...extra };
    }
    case "suback":
    case "unsuback": {
      const pid = f.u16();
      const properties = v5 ? f.properties() : undefined;
      const extra = properties ? { properties } : {};
      const codes = Array.from(f.rest());
      if (type === "suback") return { type, pid, codes, ...extra };
      return { type, pid, ...(v5 ? { codes } : {}), ...extra };
    }
    case "disconnect":
    case "auth": {
      const p: DisconnectPacket = { type };
      if (v5 && f.left > 0) p.reasonCode = f.u8();
      if (v5 && f.left > 0) p.properties = f.properties();
      return p;
    }
    default:
      return { type };
  }
}

// ---- builders: what a test sends ----

/** Text as UTF-8; bytes as they are. */
export type Bytes = string | Uint8Array;
const raw = (b: Bytes): Uint8Array => (typeof b === "string" ? encoder.encode(b) : b);
const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const prefixed = (b: Bytes): number[] => {
  const bytes = raw(b);
  return [...u16(bytes.length), ...bytes];
};
/** The empty MQTT 5 property block, or nothing for 3.1.1. */
const noProperties = (level: ProtocolLevel): number[] => (level === 5 ? [0] : []);

/** The remaining-length varint of `n`. */
export function encodeLength(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 268_435_455)
    throw new RangeError(`remaining length ${n} out of range`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * A whole packet from its first header byte and body.
 *
 * @example
 * frame(0xd0, []); // PINGRESP: d0 00
 */
export function frame(first: number, body: ArrayLike<number>): Uint8Array {
  const length = encodeLength(body.length);
  const out = new Uint8Array(1 + length.length + body.length);
  out[0] = first;
  out.set(length, 1);
  out.set(body, 1 + length.length);
  return out;
}

/** CONNACK: `connack(true)` → 20 02 01 00. */
export function connack(
  sessionPresent = false,
  returnCode = 0,
  level: ProtocolLevel = 4,
): Uint8Array {
  return frame(0x20, [sessionPresent ? 1 : 0, returnCode, ...noProperties(level)]);
}

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  /** Packet id; required for QoS 1 and 2. */
  pid?: number;
  retain?: boolean;
  dup?: boolean;
  level?: ProtocolLevel;
}

/** PUBLISH: `publish("t", "m", { qos: 1, pid: 7 })` → 32 06 00 01 74 00 07 6d. */
export function publish(topic: Bytes, payload: Bytes, options: PublishOptions = {}): Uint8Array {
  const { qos = 0, pid, retain = false, dup = false, level = 4 } = options;
  if (qos > 0 && pid === undefined) throw new RangeError("publish: QoS 1 and 2 need a pid");
  const first = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  const body = [
    ...prefixed(topic),
    ...(qos > 0 ? u16(pid!) : []),
    ...noProperties(level),
    ...raw(payload),
  ];
  return frame(first, body);
}

/** PUBACK: `puback(7)` → 40 02 00 07. */
export const puback = (pid: number): Uint8Array => frame(0x40, u16(pid));
/** PUBREC: `pubrec(7)` → 50 02 00 07. */
export const pubrec = (pid: number): Uint8Array => frame(0x50, u16(pid));
/** PUBREL (flags 0010 [MQTT-3.6.1-1]): `pubrel(7)` → 62 02 00 07. */
export const pubrel = (pid: number): Uint8Array => frame(0x62, u16(pid));
/** PUBCOMP: `pubcomp(7)` → 70 02 00 07. */
export const pubcomp = (pid: number): Uint8Array => frame(0x70, u16(pid));

/** SUBACK with one code per filter: `suback(1, [0, 0x80])` → 90 04 00 01 00 80. */
export function suback(pid: number, codes: number[], level: ProtocolLevel = 4): Uint8Array {
  return frame(0x90, [...u16(pid), ...noProperties(level), ...codes]);
}

/** UNSUBACK: `unsuback(3)` → b0 02 00 03 (MQTT 5 adds properties and one code per filter). */
export function unsuback(pid: number, level: ProtocolLevel = 4, codes: number[] = []): Uint8Array {
  return frame(0xb0, [...u16(pid), ...(level === 5 ? [0, ...codes] : [])]);
}

/** PINGRESP: d0 00. */
export const pingresp = (): Uint8Array => frame(0xd0, []);

/** DISCONNECT: e0 00 (MQTT 5: `disconnect(0x8e)` adds a reason code). */
export function disconnect(reasonCode?: number): Uint8Array {
  return frame(0xe0, reasonCode === undefined ? [] : [reasonCode, 0]);
}
