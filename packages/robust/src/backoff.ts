/** The longest wait a timer can hold. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Reconnect delay: exponential backoff with full jitter — a uniformly random wait between 0
 * and min(cap, base × 2^(attempt − 1)), so a fleet of clients that lost the same broker does
 * not come back in lock-step.
 *
 * @example
 * backoffDelay(3, 2000, 60_000) // somewhere in [0, 8000) ms
 */
export function backoffDelay(
  attempt: number,
  base: number,
  cap: number,
  random: () => number = Math.random,
): number {
  // Timers cannot wait longer than 2^31 − 1 ms (Node would fire after 1 ms instead).
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1), MAX_TIMER_MS);
  return Math.floor(random() * ceiling);
}
