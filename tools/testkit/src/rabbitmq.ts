/**
 * Design: real RabbitMQ nodes (Debian's rabbitmq-server with the MQTT and Web MQTT plugins)
 * as child processes, one node or a cluster on one machine. Everything lives in one fresh
 * temp dir: a shared HOME (the Erlang cookie), the enabled-plugins file, and per node its
 * config, Mnesia dir, log dir, feature-flags file and pid file.
 * - The node script is run directly (`/usr/lib/rabbitmq/bin/rabbitmq-server`), not through
 *   the `/usr/sbin` wrapper that su's to user `rabbitmq`: the node runs as the caller, so the
 *   temp dir needs no chown.
 * - Each instance starts its own `epmd` on a free port (ERL_EPMD_PORT, foreground, our child),
 *   so the nodes never spawn a daemon epmd we could not stop, and never meet another test's
 *   nodes or a system RabbitMQ.
 * - A cluster forms by classic-config peer discovery: the first node boots alone, the others
 *   then boot in parallel and join it (a blank node whose peers are not up yet would boot
 *   standalone instead).
 * - Readiness is the node's "Server startup complete" log line, then its MQTT port.
 * - `kill()` SIGKILLs the Erlang VM itself (its pid from RABBITMQ_PID_FILE); `stop()` SIGTERMs
 *   the script, which stops the node gracefully. A process 'exit' hook SIGKILLs whatever a
 *   test forgot.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureInstalled, firstExecutable } from "./apt.ts";
import { hookExit, livePids, tempDirs, trackChild } from "./leftovers.ts";
import { alive, waitExit } from "./liveness.ts";
import { freePort, waitForPort } from "./ports.ts";

const SBIN = "/usr/lib/rabbitmq/bin";
const EPMD_CANDIDATES = ["/usr/bin/epmd", "/usr/lib/erlang/bin/epmd"];
const READY_TIMEOUT_MS = 90_000;
const LOG_LIMIT = 1_000_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the console log is coloured
const ANSI = /\u001b\[[0-9;]*m/g;

/** Absolute path of the rabbitmq-server node script, or null when RabbitMQ is not installed. */
export function rabbitmqPath(): string | null {
  return firstExecutable([path.join(SBIN, "rabbitmq-server")]);
}

/** True when rabbitmq-server is installed. */
export function rabbitmqAvailable(): boolean {
  return rabbitmqPath() !== null;
}

/** Returns the node script's path, installing rabbitmq-server with apt-get when missing. */
export function ensureRabbitMQ(): string {
  return ensureInstalled("rabbitmq-server", rabbitmqPath);
}

function epmdPath(): string {
  const found = firstExecutable(EPMD_CANDIDATES);
  if (!found)
    throw new Error("epmd not found (it comes with rabbitmq-server's erlang-base dependency)");
  return found;
}

/** Options for startRabbitMQ(). */
export interface RabbitMQStartOptions {
  /** Number of nodes: 1 (default) or more for a cluster. */
  nodes?: number;
  /**
   * Queue type of the MQTT plugin's QoS 1 subscription queues (`mqtt.durable_queue_type`).
   * Default "quorum": replicated on every node, so a persistent session survives the loss of
   * the node that held it (see the README). "classic" is the plugin's own default.
   */
  durableQueueType?: "quorum" | "classic";
  /** Raw rabbitmq.conf lines appended to every node's config. */
  extraConfig?: string;
  /** Log level "debug" instead of "info". */
  verbose?: boolean;
}

/** One RabbitMQ node. */
export interface RabbitMQNode {
  /** Erlang node name, e.g. `umqtt-1a2b-2@localhost`. */
  readonly name: string;
  /** 0-based position in the cluster. */
  readonly index: number;
  readonly host: string;
  /** MQTT (TCP) port. */
  readonly port: number;
  /** mqtt://127.0.0.1:port */
  readonly url: string;
  /** host:port, as robust's `servers` option takes it. */
  readonly address: string;
  /** Web MQTT (MQTT over WebSocket) port. */
  readonly wsPort: number;
  /** ws://127.0.0.1:wsPort/ws (the plugin's default path). */
  readonly wsUrl: string;
  readonly amqpPort: number;
  readonly distPort: number;
  /** OS pid of the node's Erlang VM while it runs, else 0. */
  readonly pid: number;
  readonly running: boolean;
  /** Everything the node logged (all its starts), last ~1 MB. */
  logs(): string;
}

/** A running RabbitMQ node or cluster. */
export interface RabbitMQ {
  readonly nodes: readonly RabbitMQNode[];
  /** The first node's MQTT URL. */
  readonly url: string;
  readonly host: string;
  /** The first node's MQTT port. */
  readonly port: number;
  /** The temp dir holding everything. */
  readonly dir: string;
  /** How long startRabbitMQ() took, in ms, and each node's boot (spawn → ready). */
  readonly timings: { total: number; nodes: number[] };
  /** SIGKILL of the node's Erlang VM: a crash. Resolves once it is gone. */
  kill(node: RabbitMQNode | number): Promise<void>;
  /** Graceful stop (SIGTERM); its data stays for start(). */
  stop(node: RabbitMQNode | number): Promise<void>;
  /** Starts a stopped or killed node again with the same name, ports and data. */
  start(node: RabbitMQNode | number): Promise<void>;
  /** Runs `rabbitmqctl -n <node> ...args` and resolves to its stdout. */
  ctl(node: RabbitMQNode | number, ...args: string[]): Promise<string>;
  /** Stops every node and epmd (by pid) and removes the temp dir. */
  close(): Promise<void>;
}

class NodeProcess implements RabbitMQNode {
  readonly host = "127.0.0.1";
  private child: ChildProcess | null = null;
  private vmPid = 0;
  private log = "";

  constructor(
    private readonly cluster: Cluster,
    readonly index: number,
    readonly name: string,
    readonly port: number,
    readonly wsPort: number,
    readonly amqpPort: number,
    readonly distPort: number,
  ) {}

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }
  get address(): string {
    return `${this.host}:${this.port}`;
  }
  get wsUrl(): string {
    return `ws://${this.host}:${this.wsPort}/ws`;
  }
  get pid(): number {
    return this.vmPid;
  }
  get running(): boolean {
    return this.child !== null;
  }
  get dir(): string {
    return path.join(this.cluster.dir, `node${this.index + 1}`);
  }
  logs(): string {
    return this.log;
  }

  writeConfig(): void {
    const o = this.cluster.options;
    // Only the joiners name a peer (the first node): a first node that looked for peers not
    // yet up would wait ~16 s for them before booting alone.
    const first = this.cluster.nodes[0] as NodeProcess;
    const peers = [
      "cluster_formation.peer_discovery_backend = classic_config",
      `cluster_formation.classic_config.nodes.1 = ${first.name}`,
    ];
    const lines = [
      "# generated by @umqtt/testkit",
      `listeners.tcp.default = 127.0.0.1:${this.amqpPort}`,
      `mqtt.listeners.tcp.default = 127.0.0.1:${this.port}`,
      `web_mqtt.tcp.ip = 127.0.0.1`,
      `web_mqtt.tcp.port = ${this.wsPort}`,
      // Anonymous MQTT logs in as guest, which RabbitMQ allows over loopback only: that is us.
      "mqtt.allow_anonymous = true",
      `mqtt.durable_queue_type = ${o.durableQueueType ?? "quorum"}`,
      ...(this.index > 0 ? peers : []),
      "log.console = true",
      `log.console.level = ${o.verbose ? "debug" : "info"}`,
      "log.file = false",
      // A test machine's disk may be nearly full; the default 50 MB alarm would block publishers.
      "disk_free_limit.absolute = 1MB",
    ];
    if (o.extraConfig) lines.push(o.extraConfig);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(path.join(this.dir, "rabbitmq.conf"), `${lines.join("\n")}\n`);
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...this.cluster.env(),
      RABBITMQ_NODENAME: this.name,
      RABBITMQ_CONFIG_FILE: path.join(this.dir, "rabbitmq.conf"),
      RABBITMQ_MNESIA_BASE: path.join(this.dir, "mnesia"),
      RABBITMQ_LOG_BASE: path.join(this.dir, "log"),
      RABBITMQ_FEATURE_FLAGS_FILE: path.join(this.dir, "feature_flags"),
      RABBITMQ_PID_FILE: path.join(this.dir, "pid"),
      RABBITMQ_DIST_PORT: String(this.distPort),
    };
  }

  private append(text: string): void {
    this.log += text;
    if (this.log.length > LOG_LIMIT) this.log = this.log.slice(-LOG_LIMIT);
  }

  /** Spawns the node and resolves once it logged "Server startup complete" and MQTT accepts. */
  async start(): Promise<number> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const began = performance.now();
    let output = "";
    const child = spawn(this.cluster.bin, [], {
      cwd: this.dir,
      env: this.env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    trackChild(child);
    child.once("exit", () => {
      if (this.child === child) {
        this.child = null;
        if (this.vmPid) livePids.delete(this.vmPid);
        this.vmPid = 0;
      }
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`${this.name} not ready after ${READY_TIMEOUT_MS} ms:\n${output.slice(-4000)}`),
        );
      }, READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk.toString().replace(ANSI, "");
        if (output.includes("Server startup complete")) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(
          new Error(
            `${this.name} exited (${signal ?? code}) before it was ready:\n${output.slice(-4000)}`,
          ),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.off("exit", onExit);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", onExit);
      child.once("error", (err) => {
        cleanup();
        reject(err);
      });
    });
    child.stdout?.prependListener("data", (b: Buffer) =>
      this.append(b.toString().replace(ANSI, "")),
    );
    child.stderr?.prependListener("data", (b: Buffer) =>
      this.append(b.toString().replace(ANSI, "")),
    );
    try {
      await ready;
      // The node writes its VM's pid early in boot and removes the file when it stops.
      this.vmPid = this.readPid();
      livePids.add(this.vmPid);
      await waitForPort(this.port, this.host, 10_000);
    } catch (err) {
      await this.kill();
      throw err;
    }
    return performance.now() - began;
  }

  /** The VM's pid from RABBITMQ_PID_FILE, or 0 before the node wrote it. */
  private readPid(): number {
    try {
      return Number(readFileSync(path.join(this.dir, "pid"), "utf8").trim()) || 0;
    } catch {
      return 0;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = waitExit(child);
    const vm = this.vmPid || this.readPid();
    for (const pid of [vm, child.pid ?? 0]) {
      if (pid && alive(pid)) process.kill(pid, "SIGKILL");
    }
    await exited;
    // The VM is not the script's direct child when the pid file was not read yet.
    if (vm) await waitGone(vm);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = waitExit(child);
    const vm = this.vmPid;
    if (child.pid && alive(child.pid)) process.kill(child.pid, "SIGTERM");
    await exited;
    if (vm) await waitGone(vm);
  }
}

/** Resolves once `pid` no longer exists (for a process that is not our child). */
async function waitGone(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  livePids.delete(pid);
}

class Cluster implements RabbitMQ {
  readonly host = "127.0.0.1";
  nodes: NodeProcess[] = [];
  timings = { total: 0, nodes: [] as number[] };
  epmd: ChildProcess | null = null;

  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly epmdPort: number,
    readonly options: RabbitMQStartOptions,
  ) {}

  get url(): string {
    return (this.nodes[0] as NodeProcess).url;
  }
  get port(): number {
    return (this.nodes[0] as NodeProcess).port;
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: path.join(this.dir, "home"),
      ERL_EPMD_PORT: String(this.epmdPort),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.dir, "enabled_plugins"),
    };
  }

  node(which: RabbitMQNode | number): NodeProcess {
    const node =
      typeof which === "number" ? this.nodes[which] : this.nodes.find((n) => n === which);
    if (!node) throw new Error(`no such node: ${typeof which === "number" ? which : which.name}`);
    return node;
  }

  async startEpmd(): Promise<void> {
    const epmd = spawn(epmdPath(), ["-port", String(this.epmdPort)], { stdio: "ignore" });
    this.epmd = epmd;
    trackChild(epmd);
    await waitForPort(this.epmdPort, "127.0.0.1", 5000);
  }

  kill(node: RabbitMQNode | number): Promise<void> {
    return this.node(node).kill();
  }
  stop(node: RabbitMQNode | number): Promise<void> {
    return this.node(node).stop();
  }
  async start(node: RabbitMQNode | number): Promise<void> {
    await this.node(node).start();
  }

  ctl(node: RabbitMQNode | number, ...args: string[]): Promise<string> {
    const n = this.node(node);
    return new Promise((resolve, reject) => {
      execFile(
        path.join(SBIN, "rabbitmqctl"),
        ["-n", n.name, ...args],
        { env: this.env(), cwd: this.dir, timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`rabbitmqctl ${args.join(" ")}: ${err.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  }

  async close(): Promise<void> {
    // Killing is enough: the data goes with the dir, and a graceful stop takes seconds.
    await Promise.all(this.nodes.map((n) => n.kill()));
    const epmd = this.epmd;
    if (epmd) {
      const exited = waitExit(epmd);
      if (epmd.exitCode === null && epmd.signalCode === null) epmd.kill("SIGKILL");
      await exited;
      this.epmd = null;
    }
    rmSync(this.dir, { recursive: true, force: true });
    tempDirs.delete(this.dir);
  }
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts one RabbitMQ node or a cluster of `nodes` on free 127.0.0.1 ports, with the MQTT
 * and Web MQTT plugins; anonymous MQTT logs in as guest.
 * @example
 * const rabbit = await startRabbitMQ({ nodes: 3 });
 * const servers = rabbit.nodes.map((n) => n.address);
 * await rabbit.kill(rabbit.nodes[0]);
 * afterAll(() => rabbit.close());
 */
export async function startRabbitMQ(options: RabbitMQStartOptions = {}): Promise<RabbitMQ> {
  // A free port can be taken between freePort() and the node's listen (other tests run in
  // parallel): a node that dies of eaddrinuse is started again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/eaddrinuse/i.test(String((err as Error).message))) throw err;
    }
  }
}

async function startOnce(options: RabbitMQStartOptions): Promise<RabbitMQ> {
  const began = performance.now();
  const count = options.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`startRabbitMQ: nodes must be an integer ≥ 1, got ${count}`);
  hookExit();
  const bin = ensureRabbitMQ();
  const dir = mkdtempSync(path.join(tmpdir(), "umqtt-rabbitmq-"));
  tempDirs.add(dir);
  const [epmdPort, ...ports] = await distinctPorts(1 + 4 * count);
  const cluster = new Cluster(bin, dir, epmdPort as number, options);
  const tag = path
    .basename(dir)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x");
  for (let i = 0; i < count; i++) {
    const [mqtt, ws, amqp, dist] = ports.slice(4 * i, 4 * i + 4) as [
      number,
      number,
      number,
      number,
    ];
    cluster.nodes.push(
      new NodeProcess(cluster, i, `umqtt-${tag}-${i + 1}@localhost`, mqtt, ws, amqp, dist),
    );
  }
  const home = path.join(dir, "home");
  mkdirSync(home, { recursive: true });
  // One cookie for every node and rabbitmqctl; Erlang insists on owner-only permissions.
  writeFileSync(path.join(home, ".erlang.cookie"), `UMQTT${tag.toUpperCase()}COOKIE`, {
    mode: 0o400,
  });
  writeFileSync(path.join(dir, "enabled_plugins"), "[rabbitmq_mqtt,rabbitmq_web_mqtt].\n");
  for (const node of cluster.nodes) node.writeConfig();
  try {
    await cluster.startEpmd();
    const [first, ...rest] = cluster.nodes as [NodeProcess, ...NodeProcess[]];
    cluster.timings.nodes[0] = await first.start();
    const others = await Promise.all(rest.map((n) => n.start()));
    cluster.timings.nodes.push(...others);
    if (rest.length > 0) await waitClustered(cluster);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  cluster.timings.total = performance.now() - began;
  return cluster;
}

/** Checks that every node sees all the others as running members (peer discovery worked). */
async function waitClustered(cluster: Cluster): Promise<void> {
  const status = await cluster.ctl(0, "cluster_status", "--formatter", "json");
  const running: string[] = JSON.parse(status).running_nodes ?? [];
  const missing = cluster.nodes.filter((n) => !running.includes(n.name)).map((n) => n.name);
  if (missing.length > 0) {
    throw new Error(
      `RabbitMQ cluster did not form: ${missing.join(", ")} not running in it:\n${status}`,
    );
  }
}
