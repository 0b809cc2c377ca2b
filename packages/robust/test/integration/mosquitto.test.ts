/**
 * Acceptance bar R3 against a real mosquitto with persistence: the broker is stopped and
 * restarted five times in the middle of a QoS 1 stream between a robust publisher and a robust
 * subscriber, both with persistent sessions.
 *
 * Two variants, because mosquitto itself is durable only up to its last save:
 * - SIGTERM: mosquitto writes its database on the way down, so nothing may be lost — any loss
 *   is the client's;
 * - SIGKILL (a crash): mosquitto acknowledges a PUBLISH before its periodic autosave has
 *   written it, so a crash can lose messages it had acknowledged. Measured: 0 lost in most
 *   runs, 1–2 of 900 in roughly one run in seven; never with SIGTERM. That variant asserts what the
 *   client controls (every publish acknowledged, sessions found, order) and a loose bound.
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

  async function stream(signals: readonly ("SIGTERM" | "SIGKILL")[]) {
    mosquitto = await startMosquitto({ persistence: true, saveOnChange: true });
    const m = mosquitto;
    const BATCH = 150;
    const total = BATCH * (signals.length + 1);
    const started = performance.now();

    const options = { ...FAST, port: m.port };
    const sub = own(new Recorder("r3-sub", m.host, options));
    expect(await sub.connect(false)).toBe(false); // fresh broker
    expect(await sub.subscribe("r3/n", 1)).toBe(1);
    const got = collect(sub);
    const pub = own(new Recorder("r3-pub", m.host, options));
    await pub.connect(false);

    const publishes: Promise<void>[] = [];
    const ackedAt: number[] = [];
    const kills: number[] = [];
    let n = 0;
    for (let round = 0; round <= signals.length; round++) {
      for (let i = 0; i < BATCH; i++) {
        const k = n++;
        publishes.push(
          pub.publish("r3/n", String(k), false, 1).then(() => {
            ackedAt[k] = performance.now();
          }),
        );
      }
      const signal = signals[round];
      if (!signal) break;
      // Cut in the middle of this batch: some of it delivered, the rest in flight or unsent.
      await got.until(n - BATCH + BATCH / 3, 10_000);
      if (signal === "SIGKILL") kills.push(performance.now());
      await m.restart({ signal });
    }
    // Every publish resolves on its PUBACK, however many restarts that took.
    await Promise.all(publishes);
    return { sub, pub, got, total, ackedAt, kills, started };
  }

  it("SIGTERM ×5: loses nothing, and every reconnect finds its session", async () => {
    const signals = ["SIGTERM", "SIGTERM", "SIGTERM", "SIGTERM", "SIGTERM"] as const;
    const { sub, pub, got, total, started } = await stream(signals);
    await got.until(total, 15_000);

    expect(got.distinct.size).toBe(total); // zero loss
    // First occurrences arrive in publish order.
    expect(firstOccurrences(got.received)).toEqual(Array.from({ length: total }, (_, k) => k));
    // One reconnect per restart, each with the session kept by the broker.
    expect(sub.sessions).toEqual([false, true, true, true, true, true]);
    expect(pub.sessions).toEqual([false, true, true, true, true, true]);
    console.info(
      `R3 SIGTERM: ${total} msgs, 0 lost, ${got.received.length - total} duplicates, ` +
        `${Math.round(performance.now() - started)} ms`,
    );
  }, 60_000);

  it("SIGKILL/SIGTERM mix: every publish acknowledged, sessions found, order kept, loss bounded", async () => {
    const signals = ["SIGKILL", "SIGTERM", "SIGKILL", "SIGTERM", "SIGKILL"] as const;
    const { sub, pub, got, total, ackedAt, kills, started } = await stream(signals);
    // Wait for everything, or until nothing more arrives (a crash may have eaten some).
    await got.until(total, 8_000).catch(() => {});

    const lost: number[] = [];
    for (let k = 0; k < total; k++) if (!got.distinct.has(k)) lost.push(k);
    // Every lost message was acknowledged by mosquitto (all publishes resolved above): a crash
    // lost what it had acked but not yet saved. Logged with the ack time relative to each
    // crash, for whoever wants to chase mosquitto's persistence timing.
    for (const k of lost) {
      const when = kills.map((t) => Math.round(ackedAt[k]! - t)).join(", ");
      console.info(`R3 SIGKILL mix: message ${k} lost; acked at ${when} ms from the crashes`);
    }
    expect(lost.length).toBeLessThan(total / 20);
    // Order of first occurrences holds for what arrived.
    const firsts = firstOccurrences(got.received);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(sub.sessions).toEqual([false, true, true, true, true, true]);
    expect(pub.sessions).toEqual([false, true, true, true, true, true]);
    console.info(
      `R3 SIGKILL mix: ${total} msgs, ${lost.length} lost by mosquitto crashes, ` +
        `${got.received.length - got.distinct.size} duplicates, ${Math.round(performance.now() - started)} ms`,
    );
  }, 60_000);
});
