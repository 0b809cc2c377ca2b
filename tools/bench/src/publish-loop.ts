/** What a publish loop drives: one publish of the bench's message at a QoS. */
export interface Publisher {
  publish(qos: 0 | 1 | 2): Promise<unknown>;
}

/**
 * `n` publishes, each awaited (window 1), or `window` concurrent loops sharing the count.
 * @example
 * await publishLoop(pub, 10_000, 1, 64); // QoS 1 with 64 in flight
 */
export async function publishLoop(
  pub: Publisher,
  n: number,
  qos: 0 | 1 | 2,
  window: number,
): Promise<void> {
  if (window === 1) {
    for (let i = 0; i < n; i++) await pub.publish(qos);
    return;
  }
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await pub.publish(qos);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
}
