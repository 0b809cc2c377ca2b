// Seeded mutation fuzzing shared by `pnpm fuzz` (fuzz.ts) and the test suite (fuzz.test.ts).
// Every input goes through decode() and through Decoder.push() with random chunking, as MQTT
// 3.1.1 or MQTT 5 (half each); the only error either may throw is MqttCodecError. A packet that
// decodes must also re-encode to a packet that decodes to the same thing.
import { isDeepStrictEqual } from "node:util";
import {
  Decoder,
  decode,
  encode,
  MqttCodecError,
  type Packet,
  type Packet5,
} from "../src/index.js";
import { concat, hex, int, prng, type Rng, randomPacket } from "../test/gen.js";
import { randomPacket5 } from "../test/gen5.js";

/** Valid MQTT 5 frames to mutate: seeded random packets of every type with random properties. */
export function corpus5(r: Rng, n: number): Uint8Array[] {
  const out = [
    hex("10 10 00 04 4d 51 54 54 05 02 00 1e 03 21 00 14 00 00"),
    hex("32 0c 00 00 00 0a 05 23 00 05 01 01 6f 6e"),
    hex("e0 07 9c 05 1c 00 02 62 32"),
    hex("f0 00"),
  ];
  while (out.length < n) out.push(encode(randomPacket5(r), 5));
  return out;
}

/** Valid frames to mutate: seeded random packets of every type plus umqtt's wire vectors. */
export function corpus(r: Rng, n: number): Uint8Array[] {
  const out = [
    hex(
      "10 21 00 04 4d 51 54 54 04 ee 00 3c 00 03 63 69 64 00 04 6c 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77",
    ),
    hex("82 08 00 04 00 03 74 2f 23 01"),
    hex("a2 07 00 06 00 03 74 2f 23"),
    hex("32 09 00 03 74 2f 61 00 01 68 69"),
    hex("40 02 00 07"),
  ];
  while (out.length < n) out.push(encode(randomPacket(r)));
  return out;
}

/** One random structural mutation of `b` (never mutates `b` itself). */
export function mutate(r: Rng, b: Uint8Array, pool: Uint8Array[]): Uint8Array {
  const m = b.slice();
  const at = int(r, Math.max(1, m.length));
  switch (int(r, 10)) {
    case 0: // flip 1..3 bits
      for (let k = 1 + int(r, 3); k > 0 && m.length; k--) m[int(r, m.length)] ^= 1 << int(r, 8);
      return m;
    case 1: // overwrite a byte
      if (m.length) m[at] = int(r, 256);
      return m;
    case 2: // insert a byte
      return concat([m.subarray(0, at), Uint8Array.of(int(r, 256)), m.subarray(at)]);
    case 3: // delete a byte
      return concat([m.subarray(0, at), m.subarray(at + 1)]);
    case 4: // truncate
      return m.subarray(0, int(r, m.length + 1));
    case 5: // corrupt the Remaining Length field
      for (let i = 1; i <= 1 + int(r, 4) && i < m.length; i++)
        m[i] = [0x00, 0x7f, 0x80, 0xff, int(r, 256)][int(r, 5)];
      return m;
    case 6: // corrupt an inner 2-byte length (string prefixes, packet ids)
      if (m.length > 3) {
        const i = 2 + int(r, m.length - 3);
        m[i] = [0x00, 0xff, int(r, 256)][int(r, 3)];
        m[i + 1] = [0x00, 0xff, int(r, 256)][int(r, 3)];
      }
      return m;
    case 7: // another type and flags in the first byte
      if (m.length) m[0] = int(r, 256);
      return m;
    case 8: // splice with another frame
      return concat([m.subarray(0, at), pool[int(r, pool.length)].subarray(int(r, 4))]);
    default: // append garbage
      return concat([m, Uint8Array.from({ length: 1 + int(r, 6) }, () => int(r, 256))]);
  }
}

function check(what: string, input: Uint8Array, f: () => void, failures: string[]): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!(e instanceof MqttCodecError))
      failures.push(
        `${what} threw ${(e as Error)?.name}: ${(e as Error)?.message} on [${Array.from(input)}]`,
      );
    return false;
  }
}

export interface FuzzResult {
  count: number;
  /** Inputs that decoded as valid packets, either version. */
  decoded: number;
  /** Of those, the ones decoded as MQTT 5. */
  decoded5: number;
  failures: string[];
}

/** Runs `iterations` mutated inputs from `seed`, half as MQTT 5; stops collecting after 20 failures. */
export function runFuzz(iterations: number, seed: number): FuzzResult {
  const r = prng(seed);
  const pools = { 4: corpus(r, 300), 5: corpus5(r, 300) };
  const failures: string[] = [];
  let decoded = 0;
  let decoded5 = 0;
  for (let i = 0; i < iterations && failures.length < 20; i++) {
    const v = (i & 1 ? 5 : 4) as 4 | 5;
    // now and then the other version's frames: the same bytes mean other things
    const pool = pools[r() < 0.1 ? ((9 - v) as 4 | 5) : v];
    let input = pool[int(r, pool.length)];
    for (let k = 1 + int(r, 3); k > 0; k--) input = mutate(r, input, pool);
    let packet: Packet | Packet5 | undefined;
    const dec = () => (v === 5 ? decode(input, 5) : decode(input));
    if (check(`decode v${v}`, input, () => (packet = dec()), failures) && packet) {
      decoded++;
      if (v === 5) decoded5++;
      const p = packet;
      check(
        `re-encode v${v}`,
        input,
        () => {
          const again = v === 5 ? decode(encode(p as Packet5, 5), 5) : decode(encode(p as Packet));
          if (!isDeepStrictEqual(again, p))
            failures.push(`v${v} round trip differs on [${Array.from(input)}]`);
        },
        failures,
      ) || failures.push(`v${v} decoded packet refused by encode: [${Array.from(input)}]`);
    }
    const d = new Decoder({ maxPacketSize: 1 + int(r, 4096), protocolVersion: v });
    check(
      `Decoder.push v${v}`,
      input,
      () => {
        for (let at = 0; at < input.length; ) {
          const n = 1 + int(r, 8);
          d.push(input.subarray(at, at + n));
          at += n;
        }
      },
      failures,
    );
  }
  return { count: iterations, decoded, decoded5, failures };
}
