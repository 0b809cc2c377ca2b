/**
 * Acceptance bar R3 against a real mosquitto with persistence: the broker is killed and
 * restarted five times (SIGKILL and SIGTERM) in the middle of a QoS 1 stream between a
 * robust publisher and a robust subscriber, both with persistent sessions.
 */
import { type Mosquitto, startMosquitto } from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { afterEach, expect, it } from "vitest";
import { clientPool, collect, FAST, firstOccurrences, Recorder } from "./helpers.js";

describeMosquitto("R3: mosquitto killed and restarted during a QoS 1 stream", () => {
  let mosquitto: Mosquitto | undefined;
  const own = clientPool();
  afterEach(async () => {
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it("loses nothing, and every reconnect finds its session (5 restarts, SIGKILL and SIGTERM)", async () => {
    mosquitto = await startMosquitto({ persistence: true, saveOnChange: true });
    const m = mosquitto;
    const BATCH = 150;
    const SIGNALS = ["SIGKILL", "SIGTERM", "SIGKILL", "SIGTERM", "SIGKILL"] as const;
    const total = BATCH * (SIGNALS.length + 1);
    const started = performance.now();

    const options = { ...FAST, port: m.port };
    const sub = own(new Recorder("r3-sub", m.host, options));
    expect(await sub.connect(false)).toBe(false); // fresh broker
    expect(await sub.subscribe("r3/n", 1)).toBe(1);
    const got = collect(sub);
    const pub = own(new Recorder("r3-pub", m.host, options));
    await pub.connect(false);

    const publishes: Promise<void>[] = [];
    let n = 0;
    for (let round = 0; round <= SIGNALS.length; round++) {
      for (let i = 0; i < BATCH; i++) publishes.push(pub.publish("r3/n", String(n++), false, 1));
      const signal = SIGNALS[round];
      if (!signal) break;
      // Cut in the middle of this batch: some of it delivered, the rest in flight or unsent.
      await got.until(n - BATCH + BATCH / 3, 10_000);
      await m.restart({ signal });
    }
    await Promise.all(publishes);
    await got.until(total, 15_000);
    const elapsed = performance.now() - started;

    expect(got.distinct.size).toBe(total); // zero loss
    expect(firstOccurrences(got.received)).toHaveLength(total);
    // One reconnect per restart, each with the session kept by the broker.
    expect(sub.sessions).toEqual([false, true, true, true, true, true]);
    expect(pub.sessions).toEqual([false, true, true, true, true, true]);
    console.info(
      `R3: ${SIGNALS.length} restarts (${SIGNALS.join(", ")}), ${total} msgs, ` +
        `${total - got.distinct.size} lost, ${got.received.length - total} duplicates, ${Math.round(elapsed)} ms`,
    );
  }, 60_000);
});
