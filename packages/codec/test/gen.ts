// Seeded random MQTT packets (valid ones, in decoded form) for differential, stream and fuzz tests.
import type { Packet, QoS } from "../src/index.js";

/**
 * The Variable Byte Integer table of the standard (3.1.1 2.2.3, MQTT 5 1.5.5): each length's
 * boundaries, value and bytes.
 */
export const VARINT_TABLE: [number, string][] = [
  [0, "00"],
  [127, "7f"],
  [128, "80 01"],
  [16_383, "ff 7f"],
  [16_384, "80 80 01"],
  [2_097_151, "ff ff 7f"],
  [2_097_152, "80 80 80 01"],
  [268_435_455, "ff ff ff 7f"],
];

/** mulberry32: small, fast, seedable PRNG returning [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
export const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

// ASCII, 2-, 3- and 4-byte UTF-8, and U+FEFF (kept, not stripped [MQTT-1.5.3-3])
const CHARS = ["a", "b", "Z", "0", "-", "_", " ", "é", "ß", "€", "中", "😀", "\uFEFF", "$"];

export function text(r: Rng, max: number): string {
  let s = "";
  const n = int(r, max + 1);
  for (let i = 0; i < n; i++) s += pick(r, CHARS);
  return s;
}

export function bytes(r: Rng, max: number): Uint8Array {
  const b = new Uint8Array(int(r, max + 1));
  for (let i = 0; i < b.length; i++) b[i] = int(r, 256);
  return b;
}

export function topicName(r: Rng): string {
  const levels = 1 + int(r, 4);
  const out: string[] = [];
  for (let i = 0; i < levels; i++) out.push(text(r, 5));
  const t = out.join("/");
  return t.length === 0 ? "x" : t;
}

export function topicFilter(r: Rng): string {
  const levels = 1 + int(r, 4);
  const out: string[] = [];
  for (let i = 0; i < levels; i++) out.push(r() < 0.2 ? "+" : text(r, 5));
  if (r() < 0.3) out.push("#");
  const f = out.join("/");
  return f.length === 0 ? "#" : f;
}

const qos = (r: Rng): QoS => int(r, 3) as QoS;
const id = (r: Rng): number => 1 + int(r, 65535);
const utf8 = new TextEncoder();

/** All 14 MQTT 3.1.1 packet types. */
export const PACKET_TYPES: readonly Packet["type"][] = [
  "connect",
  "connack",
  "publish",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "subscribe",
  "suback",
  "unsubscribe",
  "unsuback",
  "pingreq",
  "pingresp",
  "disconnect",
];

// PUBLISH three times as often as the others: the hot path.
const WEIGHTED_TYPES: readonly Packet["type"][] = [...PACKET_TYPES, "publish", "publish"];

/** A random valid packet of type `type` (or of any type). */
export function randomPacket(r: Rng, type?: Packet["type"]): Packet {
  const t = type ?? pick(r, WEIGHTED_TYPES);
  switch (t) {
    case "connect": {
      const cleanSession = r() < 0.5;
      const p: Packet = {
        type: "connect",
        clientId: cleanSession && r() < 0.2 ? "" : text(r, 23) || "c",
        cleanSession,
        keepalive: int(r, 65536),
      };
      if (r() < 0.5)
        p.will = { topic: topicName(r), payload: bytes(r, 20), qos: qos(r), retain: r() < 0.5 };
      if (r() < 0.5) {
        p.username = text(r, 10);
        if (r() < 0.7) p.password = bytes(r, 10);
      }
      return p;
    }
    case "connack": {
      const returnCode = r() < 0.6 ? 0 : int(r, 6);
      return { type: "connack", sessionPresent: returnCode === 0 && r() < 0.5, returnCode };
    }
    case "publish": {
      const q = qos(r);
      const p: Packet = {
        type: "publish",
        topic: utf8.encode(topicName(r)),
        payload: bytes(r, r() < 0.05 ? 3000 : 40),
        qos: q,
        retain: r() < 0.5,
        dup: q > 0 && r() < 0.5,
      };
      if (q > 0) p.packetId = id(r);
      return p;
    }
    case "subscribe": {
      const subscriptions = [];
      for (let i = 1 + int(r, 4); i > 0; i--)
        subscriptions.push({ topicFilter: topicFilter(r), qos: qos(r) });
      return { type: "subscribe", packetId: id(r), subscriptions };
    }
    case "suback": {
      const returnCodes = [];
      for (let i = 1 + int(r, 4); i > 0; i--) returnCodes.push(pick(r, [0, 1, 2, 0x80]));
      return { type: "suback", packetId: id(r), returnCodes };
    }
    case "unsubscribe": {
      const topicFilters = [];
      for (let i = 1 + int(r, 4); i > 0; i--) topicFilters.push(topicFilter(r));
      return { type: "unsubscribe", packetId: id(r), topicFilters };
    }
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return { type: t };
    default:
      return { type: t, packetId: id(r) };
  }
}

/** Parses "10 0f 00 …" into bytes. */
export function hex(s: string): Uint8Array {
  const parts = s.trim().split(/\s+/).filter(Boolean);
  return Uint8Array.from(parts, (x) => Number.parseInt(x, 16));
}

/** Formats bytes as "10 0f 00 …". */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
