/**
 * The UIFlow2-style loop of tools/demo/src/uiflow-loop.ts (`while (true) await checkMsg()`
 * with per-topic handlers), run as is: it must survive an aedes restart mid-way.
 */
import { expect, it } from "vitest";
import { runUiflowLoop } from "../../../../tools/demo/src/uiflow-loop.js";

it("the UIFlow2 loop survives a broker restart: handlers receive messages afterwards", async () => {
  const result = await runUiflowLoop({ messages: 20, restartAfter: 8, timeoutMs: 15_000 });
  expect(result.buttons.length).toBeGreaterThanOrEqual(20);
  expect(result.afterRestart).toBeGreaterThan(0);
  expect(result.drops).toBeGreaterThanOrEqual(1);
  expect(result.reconnects).toBeGreaterThanOrEqual(1);
  // Overlapping filters: the m5/# handler saw every button message the m5/+/button one did.
  expect(result.all).toBeGreaterThanOrEqual(result.buttons.length);
  // Every payload is a distinct press, each handled once (no duplicate dispatch).
  expect(new Set(result.buttons).size).toBe(result.buttons.length);
});
