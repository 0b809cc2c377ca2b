/** What an MQTT.js client offers for counting: its `message` event. */
interface Emitter {
  on(event: "message", listener: () => void): unknown;
}

/**
 * Counts an MQTT.js client's `message` events: the returned function resolves once `n` more
 * have arrived (one count at a time, as the benches' rounds are).
 * @example
 * const consume = countMessages(client); await consume(10_000);
 */
export function countMessages(client: Emitter): (n: number) => Promise<void> {
  let received = 0;
  let goal = 0;
  let done: (() => void) | undefined;
  client.on("message", () => {
    if (++received === goal) done?.();
  });
  return (n) =>
    new Promise<void>((resolve) => {
      received = 0;
      goal = n;
      done = resolve;
    });
}

/** What our client offers for counting: its `messages()` async iterator. */
interface Messages {
  messages(): AsyncIterable<unknown>;
}

/**
 * Counts our client's messages through `messages()`: the returned function resolves once `n`
 * more have arrived (each call iterates afresh and stops at `n`).
 * @example
 * const consume = countIterated(client); await consume(10_000);
 */
export function countIterated(client: Messages): (n: number) => Promise<void> {
  return async (n) => {
    let k = 0;
    for await (const _ of client.messages()) if (++k === n) break;
  };
}
