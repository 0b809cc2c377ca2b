/**
 * Design: memory readings for the tests and benches that bound a client's heap: a full GC
 * first (with or without `--expose-gc`), then what the process holds in JS objects and buffers.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFn: (() => void) | undefined;

/**
 * Forces a full GC; works without `--expose-gc` (the flag is set at run time).
 * @example
 * gc(); const before = process.memoryUsage().heapUsed;
 */
export function gc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString("--expose-gc");
      gcFn = runInNewContext("gc") as () => void;
    }
  }
  gcFn();
}

/**
 * Bytes in use after a full GC: the JS heap plus ArrayBuffers (where received data lives).
 * @example
 * const before = heapInUse(); await flood(); expect(heapInUse() - before).toBeLessThan(16 << 20);
 */
export function heapInUse(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
