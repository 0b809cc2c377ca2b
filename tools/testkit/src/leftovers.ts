/**
 * What a test may leave behind when it forgets to stop a broker: processes to SIGKILL and temp
 * dirs to remove when the test process exits. One 'exit' hook serves mosquitto and RabbitMQ.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

/** Pids SIGKILLed at exit: add while running, delete once gone. */
export const livePids = new Set<number>();
/** Dirs removed at exit: add when made, delete once removed. */
export const tempDirs = new Set<string>();

let hooked = false;

/** Installs (once) the process 'exit' hook that kills `livePids` and removes `tempDirs`. */
export function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Keeps `child`'s pid in `livePids` until it exits. */
export function trackChild(child: ChildProcess): void {
  if (child.pid) livePids.add(child.pid);
  child.once("exit", () => {
    if (child.pid) livePids.delete(child.pid);
  });
}
