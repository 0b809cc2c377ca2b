import { scaled } from "./stats.ts";

/**
 * Seconds one measured round should take: ~1.2 s × UMQTT_BENCH_SCALE (at least 0.05 s). Counts
 * are calibrated per library from two warm-up rounds, so fast and slow clients get alike rounds.
 */
export const ROUND_SECONDS = scaled(1200, 50) / 1000;

/**
 * Two warm-up rounds: `first` messages, then ~0.3 s worth; returns the count for a round of
 * about ROUND_SECONDS at the rate of the second.
 * @example
 * const n = await calibrate((k) => runner.round(k), 20_000);
 */
export async function calibrate(
  round: (n: number) => Promise<number>,
  first: number,
): Promise<number> {
  const rate1 = await round(first);
  const rate2 = await round(Math.max(50, Math.round(rate1 * 0.3)));
  return Math.max(100, Math.round(rate2 * ROUND_SECONDS));
}
