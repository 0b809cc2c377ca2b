/**
 * A portable macrotask: `fn(arg)` runs on a later turn of the event loop, after pending I/O
 * events. setImmediate where it exists (Node, Bun, Deno); else a MessageChannel message
 * (browsers: not clamped to 4 ms as nested timers are); else setTimeout 0.
 */
type Run = (fn: (arg: unknown) => void, arg: unknown) => void;

interface Port {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
  /** Node and Deno: a listening port must not keep the process alive. */
  unref?(): void;
}

function pick(): Run {
  const g = globalThis as unknown as { setImmediate?: Run; MessageChannel?: new () => unknown };
  const immediate = g.setImmediate;
  if (typeof immediate === "function") return (fn, arg) => void immediate(fn, arg);
  if (typeof g.MessageChannel === "function") {
    // One channel for every task: each message runs the oldest task.
    const tasks: [fn: (arg: unknown) => void, arg: unknown][] = [];
    const channel = new g.MessageChannel() as { port1: Port; port2: Port };
    channel.port1.onmessage = () => {
      const [fn, arg] = tasks.shift()!;
      fn(arg);
    };
    channel.port1.unref?.();
    return (fn, arg) => {
      tasks.push([fn, arg]);
      channel.port2.postMessage(0);
    };
  }
  return (fn, arg) => void setTimeout(fn, 0, arg);
}

/**
 * Runs `fn(arg)` as a macrotask (see the file comment).
 * @example
 * await new Promise<void>((resolve) => macrotask(resolve));
 */
export const macrotask = pick() as <T>(fn: (arg: T) => void, arg?: T) => void;
