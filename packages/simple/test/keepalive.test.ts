import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Keepalive } from "../src/keepalive.js";

function setup(interval = 1000, readerPaused = false) {
  const events: string[] = [];
  // `mayRead`: whether a probe may resume the paused reader (false: inbox past its hard cap).
  const state = { paused: readerPaused, mayRead: true };
  const keepalive = new Keepalive(
    interval,
    {
      ping: () => events.push(`ping@${Date.now()}`),
      dead: () => events.push(`dead@${Date.now()}`),
      readerPaused: () => state.paused,
      probe: () => {
        if (!state.mayRead) return false;
        if (state.paused) events.push(`probe@${Date.now()}`);
        state.paused = false;
        return true;
      },
    },
    () => Date.now(),
  );
  return { keepalive, events, state };
}

describe("Keepalive", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("sends PINGREQ after one interval of idleness", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    vi.advanceTimersByTime(999);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["ping@1000"]);
    keepalive.stop();
  });

  test("declares the link dead half an interval after an unanswered PINGREQ", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    vi.advanceTimersByTime(1499);
    expect(events).toEqual(["ping@1000"]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["ping@1000", "dead@1500"]);
    // dead stops the timer: nothing more happens
    vi.advanceTimersByTime(10_000);
    expect(events).toHaveLength(2);
  });

  test("a received byte answers the ping and keeps the link alive", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    vi.advanceTimersByTime(1200);
    keepalive.received();
    // no dead verdict at 1500: the ping was answered
    vi.advanceTimersByTime(799);
    expect(events).toEqual(["ping@1000"]);
    // next ping one interval after the last write (the PINGREQ at 1000) [MQTT-3.1.2-23]
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["ping@1000", "ping@2000"]);
    keepalive.stop();
  });

  test("dead within 1.5 × interval of the last received byte", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    vi.advanceTimersByTime(300);
    keepalive.received();
    keepalive.sent();
    vi.advanceTimersByTime(5000);
    const dead = events.find((e) => e.startsWith("dead"));
    expect(dead).toBe("dead@1800");
  });

  test("sending alone does not postpone the ping when nothing is received", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(250);
      keepalive.sent();
    }
    expect(events).toEqual(["ping@1000"]);
    keepalive.stop();
  });

  test("no ping while traffic flows both ways", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(400);
      keepalive.sent();
      keepalive.received();
    }
    expect(events).toEqual([]);
    keepalive.stop();
  });

  test("a ping resumes a paused reader: a silent link is dead within 1.5 × interval", () => {
    const { keepalive, events } = setup(1000, true);
    keepalive.start();
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(["ping@1000", "probe@1000", "dead@1500"]);
  });

  test("a reader paused again before the PINGRESP came is probed once more, then the link is dead", () => {
    const { keepalive, events, state } = setup(1000, true);
    keepalive.start();
    vi.advanceTimersByTime(1200);
    state.paused = true; // the application's flow control paused it again, nothing was read
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(["ping@1000", "probe@1000", "probe@1500", "dead@2000"]);
  });

  test("a byte read during the probe keeps the link alive", () => {
    const { keepalive, events, state } = setup(1000, true);
    keepalive.start();
    vi.advanceTimersByTime(1200);
    state.paused = true;
    vi.advanceTimersByTime(400); // probed again at 1500
    keepalive.received();
    vi.advanceTimersByTime(600);
    // no dead verdict at 2000; the next ping one interval after the last write
    expect(events).toEqual(["ping@1000", "probe@1000", "probe@1500", "ping@2000"]);
    keepalive.stop();
  });

  test("a reader that may not read (inbox past its hard cap) is not probed nor held dead", () => {
    const { keepalive, events, state } = setup(1000, true);
    state.mayRead = false;
    keepalive.start();
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(["ping@1000"]);
    // memory released: the next deadline probes, the one after declares the silent link dead
    state.mayRead = true;
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(["ping@1000", "probe@5500", "dead@6000"]);
  });

  test("stop cancels the timer", () => {
    const { keepalive, events } = setup();
    keepalive.start();
    keepalive.stop();
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual([]);
  });

  test("interval 0 turns keepalive off", () => {
    const { keepalive, events } = setup(0);
    keepalive.start();
    vi.advanceTimersByTime(100_000);
    expect(events).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  describe("throttled timers (a background tab)", () => {
    // The monotonic clock runs ahead of the timers by `lag`: a timer that fires "now" fired
    // `lag` ms after it was due, as a throttled one does.
    function throttled(interval = 60_000) {
      const clock = { lag: 0 };
      const events: string[] = [];
      const at = () => Date.now() + clock.lag;
      const keepalive = new Keepalive(
        interval,
        {
          ping: () => events.push(`ping@${at()}`),
          dead: () => events.push(`dead@${at()}`),
          readerPaused: () => false,
          probe: () => true,
        },
        at,
      );
      return { keepalive, events, clock };
    }

    test("a deadline that fires a minute late re-probes instead of declaring the link dead", () => {
      const { keepalive, events, clock } = throttled();
      keepalive.start();
      vi.advanceTimersByTime(60_000);
      expect(events).toEqual(["ping@60000"]);
      // the deadline (due at 90 s) fires at 150 s; the PINGRESP may be queued behind it
      clock.lag = 60_000;
      vi.advanceTimersByTime(30_000);
      expect(events).toEqual(["ping@60000", "ping@150000"]);
      // ...and it was: the link is alive
      keepalive.received();
      vi.advanceTimersByTime(30_000);
      expect(events).toEqual(["ping@60000", "ping@150000"]);
      keepalive.stop();
    });

    test("a second miss after the re-probe is death, late or not: once per ping", () => {
      const { keepalive, events, clock } = throttled();
      keepalive.start();
      vi.advanceTimersByTime(60_000);
      clock.lag = 60_000;
      vi.advanceTimersByTime(30_000);
      expect(events).toEqual(["ping@60000", "ping@150000"]);
      // the re-probe's deadline is late too: no second grace
      clock.lag = 120_000;
      vi.advanceTimersByTime(30_000);
      expect(events).toEqual(["ping@60000", "ping@150000", "dead@240000"]);
      expect(vi.getTimerCount()).toBe(0);
    });

    test("each period's ping gets its own re-probe", () => {
      const { keepalive, events, clock } = throttled();
      keepalive.start();
      vi.advanceTimersByTime(60_000);
      clock.lag = 60_000;
      vi.advanceTimersByTime(30_000); // late: re-probe at 150 s
      keepalive.received(); // answered
      // the next ping is due 60 s after the re-probe was sent (the last write): 210 s
      vi.advanceTimersByTime(60_000);
      expect(events).toEqual(["ping@60000", "ping@150000", "ping@210000"]);
      clock.lag = 90_000;
      vi.advanceTimersByTime(30_000); // late again: a fresh re-probe, not death
      expect(events.at(-1)).toBe("ping@270000");
      expect(events.some((e) => e.startsWith("dead"))).toBe(false);
      keepalive.stop();
    });

    test("a timer only a little late (a busy loop, not throttling) still finds the link dead", () => {
      const { keepalive, events, clock } = throttled(2000);
      keepalive.start();
      vi.advanceTimersByTime(2000);
      clock.lag = 400; // under the 1 s floor of "throttled"
      vi.advanceTimersByTime(1000);
      expect(events).toEqual(["ping@2000", "dead@3400"]);
    });
  });
});
