import { ScriptedBroker } from "@umqtt/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, MQTTClient } from "../src/index.js";

describe("backoffDelay (full jitter)", () => {
  it("is 0 when the random draw is 0 and just under the ceiling when it is almost 1", () => {
    expect(backoffDelay(1, 2000, 60_000, () => 0)).toBe(0);
    expect(backoffDelay(1, 2000, 60_000, () => 0.999_999)).toBe(1999);
    expect(backoffDelay(3, 2000, 60_000, () => 0.999_999)).toBe(7999);
  });

  it("doubles the ceiling with every attempt: base × 2^(attempt − 1)", () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, 100, 1e9, () => 0.5) * 2;
    expect([1, 2, 3, 4, 5, 6].map(ceiling)).toEqual([100, 200, 400, 800, 1600, 3200]);
  });

  it("never exceeds the cap, however many attempts failed", () => {
    for (const attempt of [6, 7, 10, 50, 1000, 10_000]) {
      expect(backoffDelay(attempt, 2000, 60_000, () => 0.999_999)).toBeLessThan(60_000);
      expect(backoffDelay(attempt, 2000, 60_000, () => 0.5)).toBe(30_000);
    }
  });

  it("treats attempt 0 or below as the first attempt", () => {
    expect(backoffDelay(0, 100, 1000, () => 0.5)).toBe(50);
    expect(backoffDelay(-3, 100, 1000, () => 0.5)).toBe(50);
  });

  it("draws integers uniformly in [0, ceiling) with Math.random by default", () => {
    const samples = Array.from({ length: 2000 }, () => backoffDelay(4, 100, 60_000));
    for (const s of samples) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(800);
    }
    // Jitter: spread over the whole range, not clustered at the ceiling (fixed delays are).
    expect(Math.min(...samples)).toBeLessThan(100);
    expect(Math.max(...samples)).toBeGreaterThan(700);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(340);
    expect(mean).toBeLessThan(460);
  });
});

describe("MQTTClient.delay(attempt) — the default backoff hook", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("waits backoffDelay(attempt, reconnectDelay, maxReconnectDelay)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const client = new MQTTClient("c", "memory", {
      transport: new ScriptedBroker().factory,
      reconnectDelay: 100,
      maxReconnectDelay: 1000,
    });
    for (const [attempt, ms] of [
      [1, 50],
      [3, 200],
      [5, 500], // capped: min(1000, 1600) / 2
      [20, 500],
    ] as const) {
      let done = false;
      const waiting = client.delay(attempt).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(ms - 1);
      expect(done, `attempt ${attempt} resolved before ${ms} ms`).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done, `attempt ${attempt} not resolved at ${ms} ms`).toBe(true);
      await waiting;
    }
  });

  it("defaults to 2 s base and a 60 s cap (umqtt.robust's DELAY = 2)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const client = new MQTTClient("c", "memory", { transport: new ScriptedBroker().factory });
    let done = false;
    void client.delay(1).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1998);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    done = false;
    void client.delay(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(59_998);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it("rejects non-positive reconnect options at construction", () => {
    const transport = new ScriptedBroker().factory;
    for (const bad of [
      { reconnectDelay: 0 },
      { reconnectDelay: -1 },
      { maxReconnectDelay: Number.NaN },
      { maxReconnectAttempts: 0 },
      { maxOfflineQueue: -1 },
      { maxOfflineQueue: 1.5 },
      { offlinePolicy: "drop-newest" as never },
      { debug: "yes" as never },
    ]) {
      expect(
        () => new MQTTClient("c", "memory", { transport, ...bad }),
        JSON.stringify(bad),
      ).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    }
  });
});
