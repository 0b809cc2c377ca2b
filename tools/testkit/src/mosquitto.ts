/**
 * Design: a real mosquitto child process per call, configured from a generated file in a
 * fresh temp dir (absolute paths only: mosquitto resolves relative ones against its cwd).
 * This file owns the child and its temp dir; a process 'exit' hook SIGKILLs any child a
 * test forgot to stop. It never touches a system mosquitto service or port 1883.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "./ports.ts";

const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];
const READY_TIMEOUT_MS = 10_000;
const LOG_LIMIT = 1_000_000; // keep the last ~1 MB of broker log in memory

/** Absolute path of the mosquitto binary (PATH, then /usr/sbin and /usr/local/sbin), or null. */
export function mosquittoPath(): string | null {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, "mosquitto");
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** True when a mosquitto binary is installed. */
export function mosquittoAvailable(): boolean {
  return mosquittoPath() !== null;
}

function isRoot(): boolean {
  return typeof process.geteuid === "function" && process.geteuid() === 0;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Returns the mosquitto path, installing it with apt-get (as root or via sudo -n) when missing. */
export function ensureMosquitto(): string {
  const found = mosquittoPath();
  if (found) return found;
  if (!hasCommand("apt-get")) {
    throw new Error("mosquitto not found and apt-get is not available: install mosquitto by hand");
  }
  const prefix = isRoot()
    ? []
    : hasCommand("sudo")
      ? ["sudo", "-n", "--preserve-env=DEBIAN_FRONTEND"]
      : null;
  if (prefix === null)
    throw new Error("mosquitto not found: run `apt-get install mosquitto` as root");
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, ...args];
    execFileSync(cmd as string, rest, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  };
  run(["apt-get", "update"]);
  run(["apt-get", "install", "-y", "--no-install-recommends", "mosquitto"]);
  const installed = mosquittoPath();
  if (!installed)
    throw new Error("apt-get install mosquitto finished but no mosquitto binary was found");
  return installed;
}

/** TLS listener settings (absolute file paths). */
export interface MosquittoTlsOptions {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Reject clients that present no certificate signed by caFile. */
  requireCertificate?: boolean;
}

/** Options for startMosquitto(). */
export interface MosquittoStartOptions {
  /** Keep sessions and queued messages in mosquitto.db across restarts (default false). */
  persistence?: boolean;
  /**
   * With persistence: write the DB after every change (autosave_on_changes), so a SIGKILL
   * (kill(), restart({ signal: "SIGKILL" })) keeps sessions and queued messages too.
   * Without it mosquitto saves on SIGTERM and every second, and a SIGKILL loses the rest.
   */
  saveOnChange?: boolean;
  /** Adds a second (TLS) listener on its own free port. */
  tls?: MosquittoTlsOptions;
  /** Raw lines appended to the generated config. */
  extraConfig?: string;
  /** log_type all (every packet) instead of error/warning/notice/information. */
  verbose?: boolean;
}

/** A running mosquitto child process. */
export interface Mosquitto {
  readonly host: string;
  readonly port: number;
  readonly tlsPort?: number;
  /** mqtt://127.0.0.1:port */
  readonly url: string;
  /** mqtts://localhost:tlsPort (the server cert names localhost) when tls was given. */
  readonly tlsUrl?: string;
  /** PID of the current child (changes on restart). */
  readonly pid: number;
  /** Temp dir holding mosquitto.conf and the persistence DB. */
  readonly dir: string;
  readonly configFile: string;
  /** Everything the broker logged so far (across restarts). */
  logs(): string;
  /** SIGTERM, await exit, remove the temp dir (a later restart() starts with an empty DB). */
  stop(): Promise<void>;
  /** SIGKILL, await exit: a crash; anything not yet autosaved is lost. */
  kill(): Promise<void>;
  /** Stop with `signal` (default SIGTERM), then start again on the same ports, dir and DB. Works after kill() too. */
  restart(options?: { signal?: "SIGTERM" | "SIGKILL" }): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const child of live) {
      try {
        if (child.pid) process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

function config(o: {
  dir: string;
  port: number;
  tlsPort?: number;
  options: MosquittoStartOptions;
}): string {
  const { dir, port, tlsPort, options } = o;
  const lines = [
    "# generated by @umqtt/testkit",
    // As root, mosquitto would drop to user `mosquitto`, which cannot read root's 0700 temp
    // dirs or 0600 keys; staying root only costs a warning line.
    ...(isRoot() ? ["user root"] : []),
    // stderr, not stdout: mosquitto's stdout is block-buffered on a pipe, so the "running"
    // line would not arrive until exit.
    "log_dest stderr",
    ...(options.verbose
      ? ["log_type all"]
      : ["log_type error", "log_type warning", "log_type notice", "log_type information"]),
    "log_timestamp true",
    `persistence ${options.persistence ? "true" : "false"}`,
    `persistence_location ${dir}/`,
    "persistence_file mosquitto.db",
    // SIGTERM always saves. autosave_interval is seconds, or with autosave_on_changes a count
    // of changes: 1 saves after every change, so a SIGKILL loses nothing.
    "autosave_interval 1",
    ...(options.saveOnChange ? ["autosave_on_changes true"] : []),
    // Offline-queue tests must not see silent drops (default 1000).
    "max_queued_messages 100000",
    "set_tcp_nodelay true",
    "allow_anonymous true",
    `listener ${port} 127.0.0.1`,
  ];
  if (options.tls && tlsPort !== undefined) {
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${path.resolve(options.tls.caFile)}`,
      `certfile ${path.resolve(options.tls.certFile)}`,
      `keyfile ${path.resolve(options.tls.keyFile)}`,
      `require_certificate ${options.tls.requireCertificate ? "true" : "false"}`,
    );
  }
  if (options.extraConfig) lines.push(options.extraConfig);
  return `${lines.join("\n")}\n`;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

class MosquittoProcess implements Mosquitto {
  readonly host = "127.0.0.1";
  readonly configFile: string;
  private child: ChildProcess | null = null;
  private log = "";

  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number | undefined,
    private readonly options: MosquittoStartOptions,
  ) {
    this.configFile = path.join(dir, "mosquitto.conf");
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  get tlsUrl(): string | undefined {
    return this.tlsPort === undefined ? undefined : `mqtts://localhost:${this.tlsPort}`;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  logs(): string {
    return this.log;
  }

  private append(text: string): void {
    this.log += text;
    if (this.log.length > LOG_LIMIT) this.log = this.log.slice(-LOG_LIMIT);
  }

  async start(): Promise<void> {
    if (!existsSync(this.configFile)) {
      // First start, or a restart after stop() removed the dir.
      mkdirSync(this.dir, { recursive: true, mode: 0o777 });
      // Readable/writable even if mosquitto drops to its own user.
      chmodSync(this.dir, 0o777);
      const { dir, port, tlsPort, options } = this;
      writeFileSync(this.configFile, config({ dir, port, tlsPort, options }), { mode: 0o644 });
      dirs.add(this.dir);
    }
    // This start's own output: an offset into the capped log would break past LOG_LIMIT.
    let output = "";
    const child = spawn(this.bin, ["-c", this.configFile], {
      cwd: this.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    live.add(child);
    child.once("exit", () => live.delete(child));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`mosquitto not ready after ${READY_TIMEOUT_MS} ms:\n${output}`));
      }, READY_TIMEOUT_MS);
      const onData = (chunk: Buffer | string) => {
        output += String(chunk);
        if (/ running\s*$/m.test(output)) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`mosquitto exited (${signal ?? code}) before it was ready:\n${output}`));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.off("exit", onExit);
        child.off("error", onError);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", onExit);
      child.once("error", onError);
    });
    // logs(): the last LOG_LIMIT characters of everything the broker printed.
    child.stdout?.prependListener("data", (b: Buffer) => this.append(b.toString()));
    child.stderr?.prependListener("data", (b: Buffer) => this.append(b.toString()));
    try {
      await ready;
      await waitForPort(this.port, this.host, READY_TIMEOUT_MS);
      if (this.tlsPort !== undefined) await waitForPort(this.tlsPort, this.host, READY_TIMEOUT_MS);
    } catch (err) {
      await this.signal("SIGKILL");
      throw err;
    }
  }

  private async signal(sig: "SIGTERM" | "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = waitExit(child);
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(child.pid, sig);
      } catch {
        // already gone
      }
    }
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.signal("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }

  kill(): Promise<void> {
    return this.signal("SIGKILL");
  }

  async restart(options: { signal?: "SIGTERM" | "SIGKILL" } = {}): Promise<void> {
    await this.signal(options.signal ?? "SIGTERM");
    await this.start();
  }
}

/** Starts mosquitto (ensureMosquitto() first) on free 127.0.0.1 ports with a generated config. */
export async function startMosquitto(options: MosquittoStartOptions = {}): Promise<Mosquitto> {
  hookExit();
  const bin = ensureMosquitto();
  const dir = mkdtempSync(path.join(tmpdir(), "umqtt-mosquitto-"));
  const port = await freePort();
  let tlsPort: number | undefined;
  while (options.tls && (tlsPort === undefined || tlsPort === port)) tlsPort = await freePort();
  const m = new MosquittoProcess(bin, dir, port, tlsPort, options);
  await m.start();
  return m;
}
