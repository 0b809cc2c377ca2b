import { describe, expect, it } from "vitest";
import { corpus, mutate, runFuzz } from "../fuzz/mutate.js";
import { Decoder, MqttCodecError } from "../src/index.js";
import { prng } from "./gen.js";

describe("fuzz", () => {
  it("20,000 mutated inputs, half as MQTT 5: only MqttCodecError is ever thrown, and decoded packets round-trip", () => {
    const { count, decoded, decoded5, failures } = runFuzz(20_000, 1234);
    expect(failures).toEqual([]);
    expect(count).toBe(20_000);
    // the mutations must leave some inputs valid, or the round-trip check would be vacuous
    expect(decoded - decoded5).toBeGreaterThan(500);
    expect(decoded5).toBeGreaterThan(300);
  });

  it("the mutator changes its input and the harness reports foreign errors", () => {
    const r = prng(5);
    const pool = corpus(r, 20);
    let changed = 0;
    for (let i = 0; i < 200; i++) {
      const b = pool[i % pool.length];
      const m = mutate(r, b, pool);
      if (m.length !== b.length || m.some((x, j) => x !== b[j])) changed++;
    }
    expect(changed).toBeGreaterThan(150);
    // a Decoder that already failed keeps throwing MqttCodecError, never something else
    const d = new Decoder();
    expect(() => d.push(Uint8Array.of(0xf0, 0))).toThrow(MqttCodecError);
    expect(() => d.push(Uint8Array.of(0xc0, 0))).toThrow(MqttCodecError);
  });
});
