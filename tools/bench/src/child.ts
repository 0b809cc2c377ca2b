/**
 * A benchmark helper process (sink, flood, broker) forked under tsx, spoken to over IPC:
 * messages are `{ type, ... }` objects; `next(type)` awaits the next one of a type.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve("tsx")).href;
export const CHILD_ARGS = ["--import", TSX, "--conditions=@umqtt/source"];

/** How long one round (or any child reply) may take. */
export const ROUND_TIMEOUT_MS = 120_000;

export interface Msg {
  type: string;
  [k: string]: unknown;
}

export class Child {
  private readonly waiting = new Map<string, { resolve(m: Msg): void; reject(e: Error): void }[]>();
  private constructor(readonly proc: ChildProcess) {
    proc.on("message", (m: Msg) => this.waiting.get(m.type)?.shift()?.resolve(m));
    proc.once("exit", (code, signal) => {
      const err = new Error(`child ${proc.pid} exited (${signal ?? code})`);
      for (const q of this.waiting.values()) for (const w of q.splice(0)) w.reject(err);
    });
  }

  /** Forks `file` under tsx and waits for its { type: "ready" } message. */
  static async start(file: string): Promise<{ child: Child; ready: Msg }> {
    const proc = fork(path.join(HERE, file), [], {
      execArgv: CHILD_ARGS,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const child = new Child(proc);
    const ready = await child.next("ready", 30_000);
    return { child, ready };
  }

  /** Promise for the next message of `type` (register before sending the request). */
  next(type: string, timeout = ROUND_TIMEOUT_MS): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no '${type}' within ${timeout} ms`)),
        timeout,
      );
      const q = this.waiting.get(type) ?? [];
      q.push({
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.waiting.set(type, q);
    });
  }

  send(m: object): void {
    this.proc.send(m);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.send({ cmd: "exit" });
    await exited;
  }
}
