import { afterEach, expect, test, vi } from "vitest";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

async function load(): Promise<typeof import("../src/macrotask.js")> {
  vi.resetModules();
  return import("../src/macrotask.js");
}

test.each([
  ["setImmediate", {}],
  ["MessageChannel (a browser: no setImmediate)", { setImmediate: undefined }],
  ["setTimeout 0 (neither)", { setImmediate: undefined, MessageChannel: undefined }],
])("runs tasks in order after the current turn, via %s", async (_name, globals) => {
  for (const [key, value] of Object.entries(globals)) vi.stubGlobal(key, value);
  const { macrotask } = await load();
  const order: string[] = [];
  const done = new Promise<void>((resolve) => {
    macrotask((x) => order.push(`a${x}`), 1);
    macrotask((x) => order.push(`b${x}`), 2);
    macrotask(resolve);
  });
  void Promise.resolve().then(() => order.push("microtask"));
  order.push("sync");
  await done;
  expect(order).toEqual(["sync", "microtask", "a1", "b2"]);
});
