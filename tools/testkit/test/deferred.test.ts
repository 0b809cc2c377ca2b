import { describe, expect, test } from "vitest";
import { deferred, settle, TimeoutError, withTimeout } from "../src/deferred.ts";

describe("settle()", () => {
  test("reads pending, then resolved with the value", async () => {
    const d = deferred<number>();
    const s = settle(d.promise);
    expect(s.state).toBe("pending");
    d.resolve(3);
    await s.done;
    expect([s.state, s.value]).toEqual(["resolved", 3]);
  });

  test("records a rejection without an unhandled rejection; done still resolves", async () => {
    const err = new Error("no");
    const s = settle(Promise.reject(err));
    await s.done;
    expect([s.state, s.error]).toEqual(["rejected", err]);
  });
});

describe("withTimeout()", () => {
  test("names what it waited for", async () => {
    const never = new Promise<void>(() => {});
    const err = await withTimeout(never, 5, "the thing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain("the thing");
  });
});
