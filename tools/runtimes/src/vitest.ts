/**
 * Design: the only file of this package that imports vitest (the demo's test uses it too).
 * A missing runtime skips its tests with a visible warning, except under CI, where it throws
 * (as testkit's describeMosquitto does for mosquitto).
 */
import { describe } from "vitest";

const INSTALL = "bash tools/runtimes/install.sh";

/** describe() that needs `bin`: skipped with a warning when it is missing, an error under CI. */
export function describeRuntime(name: string, bin: string | undefined, fn: () => void): void {
  if (!bin) {
    if (process.env.CI) {
      throw new Error(`${name} not found: CI must run "${name}"; install it with ${INSTALL}`);
    }
    console.warn(`${name} not found: skipping its tests; install it with ${INSTALL}`);
  }
  describe.skipIf(!bin)(name, fn);
}
