/**
 * The sending side of a receive metric: flood.ts (or the sink, which answers the same "flood"
 * command) writes pre-encoded PUBLISHes while the subscriber under test counts them.
 */
import { Child, ROUND_TIMEOUT_MS } from "./child.ts";

/** Starts flood.ts and connects it to the broker on 127.0.0.1:`port`. */
export async function startFlood(port: number): Promise<Child> {
  const flood = (await Child.start("flood.ts")).child;
  const connected = flood.next("connected");
  flood.send({ cmd: "connect", port });
  await connected;
  return flood;
}

/** What each round floods: `size`-byte payloads on `topic`, at `qos` (flood.ts; default 0). */
export interface Flood {
  topic: string;
  size: number;
  qos?: 0 | 1;
}

/**
 * A receive round for `who`: the clock runs from the flood command until `consume(n)` resolves
 * (every message arrived); returns msg/s, after the flood has also reported "sent".
 * @example
 * round: floodRound(flood, { topic, size: 16 }, countMessages(c), "mqttjs"),
 */
export function floodRound(
  flood: Child,
  what: Flood,
  consume: (n: number) => Promise<void>,
  who: string,
): (n: number) => Promise<number> {
  return async (n) => {
    const got = consume(n);
    const sent = flood.next("sent");
    const t0 = performance.now();
    flood.send({ cmd: "flood", n, ...what });
    await withTimeout(got, `${who} received too few of ${n} messages (broker drops?)`);
    const rate = (n * 1000) / (performance.now() - t0);
    await sent;
    return rate;
  };
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ROUND_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
