import { expect, test } from "vitest";
import { prng } from "../src/prng.ts";

test("prng: the same seed gives the same sequence in [0, 1); another seed another one", () => {
  const a = prng(7);
  const b = prng(7);
  const c = prng(8);
  const seqA = Array.from({ length: 1000 }, () => a());
  expect(Array.from({ length: 1000 }, () => b())).toEqual(seqA);
  expect(Array.from({ length: 1000 }, () => c())).not.toEqual(seqA);
  expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  // roughly uniform: each tenth of [0, 1) gets 100 ± 40 of 1000 draws
  const buckets = Array.from(
    { length: 10 },
    (_, i) => seqA.filter((x) => Math.floor(x * 10) === i).length,
  );
  for (const n of buckets) expect(Math.abs(n - 100)).toBeLessThan(40);
});
