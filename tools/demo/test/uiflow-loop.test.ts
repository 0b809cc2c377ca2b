/**
 * The UIFlow2-style loop of src/uiflow-loop.ts (`while (true) await checkMsg()` with
 * per-topic handlers, on @umqtt/default), run as is: it must survive an aedes restart mid-way.
 * Imported through the package's own export, as another workspace package would import it.
 */
import { runUiflowLoop } from "@umqtt/demo/uiflow-loop";
import { expect, it } from "vitest";

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
