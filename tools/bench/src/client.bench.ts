/**
 * End-to-end: @umqtt/simple against MQTT.js 5, on the same brokers, in the same run.
 *
 * Brokers: a real mosquitto (testkit's startMosquitto, no persistence) and `sink.ts`, an
 * ack-everything server in another process that measures the client alone. Every throughput
 * number is the median of several rounds after a warm-up round; the two libraries alternate
 * who goes first. Results are printed as tables of ratios (ours / MQTT.js, ours / ceiling).
 *
 *   pnpm bench:client [--json] [--only=qos0,qos1,qos1w64,qos2w64,recv,heap,import,bundle,ceiling]
 *                     [--broker=sink|mosquitto] [--lib=ours|mqttjs]
 *
 * Env: UMQTT_BENCH_SCALE (default 1): multiplies the round duration (~1.2 s) and so every
 *      message count, which is calibrated per library from two warm-up rounds;
 *      UMQTT_BENCH_ROUNDS (default 5); UMQTT_BENCH_HEAP_CLIENTS (default 1000);
 *      UMQTT_BENCH_PAYLOAD (bytes, default 16); UMQTT_BENCH_OURS_ROOT: measure the packages of
 *      another checkout (before a change) with this harness (built.ts).
 */

import { execFile, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { Decoder, encode, encodePublish } from "@umqtt/codec";
import { gc, type Mosquitto, startMosquitto } from "@umqtt/testkit";
import { build } from "esbuild";
import { flag, JSON_OUT } from "./args.ts";
import { assertUntransformed, bundled, ensureBuilt, OURS_ROOT, ROOT } from "./built.ts";
import { calibrate, ROUND_SECONDS } from "./calibrate.ts";
import { CHILD_ARGS, Child, HERE, type Msg } from "./child.ts";
import { floodRound, startFlood } from "./flood-round.ts";
import { connectMqttjs } from "./mqttjs.ts";
import { publishLoop } from "./publish-loop.ts";
import { printFooter, printJson } from "./report.ts";
import {
  machine,
  pairedRatio,
  ratio,
  rounds,
  type Summary,
  scaled,
  si,
  spread,
  summarize,
  table,
} from "./stats.ts";
import { type Subscriber, subscribeMqttjs, subscribeOurs } from "./subscriber.ts";

const ROUNDS = rounds(5);
const PAYLOAD = Buffer.alloc(Number(process.env.UMQTT_BENCH_PAYLOAD ?? 16), 0x61);
const TOPIC = "bench/umqtt/t1";
const HEAP_CLIENTS = Number(process.env.UMQTT_BENCH_HEAP_CLIENTS ?? 1000);

const ONLY = flag("only");
const BROKERS = flag("broker");
const LIBS = flag("lib");
const want = (metric: string) => !ONLY || ONLY.includes(metric);
const wantBroker = (b: string) => !BROKERS || BROKERS.includes(b);
const wantLib = (l: string) => !LIBS || LIBS.includes(l);

/** Messages in the first warm-up round. */
const WARMUP = {
  qos0: 20_000,
  qos1: 2_000,
  qos1w64: 10_000,
  qos2w64: 10_000,
  recv: 20_000,
  ceiling: 50_000,
};
const IMPORTS = scaled(15, 3);
/** Message counts actually used, per metric and library (for the JSON output). */
const counts: Record<string, number> = {};

const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------------------
// child processes

interface Sink {
  port: number;
  child: Child;
}

async function startSinkProcess(): Promise<Sink> {
  const { child, ready } = await Child.start("sink.ts");
  return { child, port: ready.port as number };
}

// ---------------------------------------------------------------------------------------
// the two clients behind one interface

type LibName = "ours" | "mqttjs";

interface Pub {
  publish(qos: 0 | 1 | 2): Promise<unknown>;
  close(): Promise<void>;
}

/** @umqtt/simple as built (dist bundled with its codec), loaded in main(). */
let MQTTClient: typeof import("@umqtt/simple")["MQTTClient"];
let oursUrl = "";

let ids = 0;
const clientId = (lib: LibName) => `bench-${lib}-${process.pid}-${++ids}`;

async function connectPub(lib: LibName, port: number): Promise<Pub> {
  if (lib === "ours") {
    const c = new MQTTClient(clientId(lib), "127.0.0.1", { port, keepalive: 60, maxInflight: 64 });
    await c.connect();
    return {
      publish: (qos) => c.publish(TOPIC, PAYLOAD, false, qos),
      close: () => c.disconnect(),
    };
  }
  const c = await connectMqttjs(`mqtt://127.0.0.1:${port}`, clientId(lib), 4);
  return {
    publish: (qos) => c.publishAsync(TOPIC, PAYLOAD, { qos }),
    close: () => c.endAsync(),
  };
}

// ---------------------------------------------------------------------------------------
// measurements

interface Pair {
  metric: string;
  key: string;
  broker: string;
  unit: string;
  ours?: Summary;
  theirs?: Summary;
  target?: string;
  /** ours / MQTT.js: median of per-round ratios when rounds are paired, else of medians. */
  ratio?: number;
  /** ours / MQTT.js must be ≥ (throughput) or ≤ (heap, import, size) this. */
  goal?: { op: ">=" | "<="; value: number };
}

const results: Pair[] = [];
const ceilings: { name: string; value: Summary }[] = [];

/** Runs `round(lib, n)` (returns msg/s) for both libraries: one warm-up, ROUNDS measured rounds. */
async function pair(
  key: string,
  metric: string,
  broker: string,
  n: number,
  setup: (
    lib: LibName,
  ) => Promise<{ round: (n: number) => Promise<number>; close: () => Promise<void> }>,
  goal?: Pair["goal"],
): Promise<void> {
  if (!want(key) || !wantBroker(broker)) return;
  const libs = (["ours", "mqttjs"] as LibName[]).filter(wantLib);
  const runners = new Map<LibName, Awaited<ReturnType<typeof setup>>>();
  for (const lib of libs) runners.set(lib, await setup(lib));
  const samples = new Map<LibName, number[]>(libs.map((l) => [l, []]));
  const sizes = new Map<LibName, number>();
  for (const lib of libs) {
    const runner = runners.get(lib) as { round: (n: number) => Promise<number> };
    sizes.set(lib, await calibrate(runner.round, n));
    counts[`${key}/${broker}/${lib}`] = sizes.get(lib) as number;
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? libs : [...libs].reverse();
    for (const lib of order) {
      gc();
      const runner = runners.get(lib) as { round: (n: number) => Promise<number> };
      samples.get(lib)?.push(await runner.round(sizes.get(lib) as number));
    }
  }
  for (const lib of libs) await runners.get(lib)?.close();
  const ours = samples.get("ours")?.length ? summarize(samples.get("ours") as number[]) : undefined;
  const theirs = samples.get("mqttjs")?.length
    ? summarize(samples.get("mqttjs") as number[])
    : undefined;
  const paired = pairedRatio(samples.get("ours") ?? [], samples.get("mqttjs") ?? []);
  const p: Pair = { key, metric, broker, unit: "msg/s", ours, theirs, goal, ratio: paired };
  if (goal) p.target = `≥ ${goal.value}×`;
  results.push(p);
  log(
    `  ${metric} [${broker}]: ours ${ours ? si(ours.median) : "-"} ${ours ? spread(ours) : ""}, MQTT.js ${theirs ? si(theirs.median) : "-"} ${theirs ? spread(theirs) : ""}, ratio ${ratio(paired, 1)}`,
  );
}

/** Publish throughput against one broker. */
async function publishMetrics(
  broker: "sink" | "mosquitto",
  port: number,
  sink?: Sink,
): Promise<void> {
  const setupFor = (qos: 0 | 1 | 2, window: number) => async (lib: LibName) => {
    const pub = await connectPub(lib, port);
    return {
      round: async (n: number) => {
        let reached: Promise<Msg> | undefined;
        if (sink) {
          const reset = sink.child.next("reset");
          sink.child.send({ cmd: "reset" });
          await reset;
          reached = sink.child.next("reached");
          sink.child.send({ cmd: "wait", n });
        }
        const t0 = performance.now();
        await publishLoop(pub, n, qos, window);
        if (reached) await reached;
        else if (qos === 0) await pub.publish(1); // the broker read everything before this PUBACK
        return (n * 1000) / (performance.now() - t0);
      },
      close: () => pub.close(),
    };
  };
  await pair("qos0", "QoS 0 publish, each awaited", broker, WARMUP.qos0, setupFor(0, 1), {
    op: ">=",
    value: 1.5,
  });
  await pair("qos1", "QoS 1 publish, 1 in flight", broker, WARMUP.qos1, setupFor(1, 1));
  await pair("qos1w64", "QoS 1 publish, 64 in flight", broker, WARMUP.qos1w64, setupFor(1, 64), {
    op: ">=",
    value: 1.5,
  });
  // Each publish resolves on its PUBCOMP. (mosquitto 2.0.11 discards QoS 2 PUBLISHes beyond 20
  // awaiting PUBREL, but still answers each with PUBREC and PUBCOMP: the same packets for both.)
  await pair("qos2w64", "QoS 2 publish, 64 in flight", broker, WARMUP.qos2w64, setupFor(2, 64));
}

/**
 * Receive throughput. mosquitto: a raw publisher in another process (flood.ts) floods the
 * broker, which forwards to the subscriber under test. sink: the sink process writes the
 * PUBLISHes to the subscriber itself, so no broker limits the rate.
 */
async function receiveMetric(
  broker: "sink" | "mosquitto",
  port: number,
  sink?: Sink,
): Promise<void> {
  if (!want("recv") || !wantBroker(broker)) return;
  const flood = sink ? sink.child : await startFlood(port);
  const label = sink ? "receive (QoS 0, the sink writes)" : "receive (QoS 0 flood via mosquitto)";
  await pair("recv", label, broker, WARMUP.recv, async (lib) => {
    const topic = `bench/rx/${lib}/${process.pid}`;
    let sub: Subscriber;
    if (lib === "ours") {
      const c = new MQTTClient(clientId(lib), "127.0.0.1", { port, keepalive: 60 });
      await c.connect();
      sub = await subscribeOurs(c, topic, 0);
    } else {
      const c = await connectMqttjs(`mqtt://127.0.0.1:${port}`, clientId(lib), 4);
      sub = await subscribeMqttjs(c, topic, 0);
    }
    const round = floodRound(flood, { topic, size: PAYLOAD.length }, sub.consume, lib);
    return { round, close: sub.close };
  });
  if (!sink) await flood.stop();
}

/** The machine's ceiling: pre-encoded PUBLISHes from a raw socket to the sink. */
async function ceilingMetrics(sink: Sink): Promise<void> {
  if (!want("ceiling")) return;
  const socket = net.connect({ port: sink.port, host: "127.0.0.1" });
  socket.setNoDelay(true);
  const decoder = new Decoder();
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) if (p.type === "connack") resolve();
    });
    socket.write(
      encode({ type: "connect", clientId: "bench-raw", cleanSession: true, keepalive: 0 }),
    );
  });
  const one = Buffer.from(encodePublish(TOPIC, PAYLOAD, 0, false, false));
  const perBatch = Math.ceil((64 * 1024) / one.length);
  const batch = Buffer.alloc(perBatch * one.length);
  for (let i = 0; i < perBatch; i++) one.copy(batch, i * one.length);
  const drain = () => new Promise((r) => socket.once("drain", r));
  const measure = async (n: number, batched: boolean): Promise<number> => {
    const reset = sink.child.next("reset");
    sink.child.send({ cmd: "reset" });
    await reset;
    const reached = sink.child.next("reached");
    sink.child.send({ cmd: "wait", n });
    const t0 = performance.now();
    if (batched) {
      for (let left = n; left > 0; ) {
        const k = Math.min(perBatch, left);
        left -= k;
        if (!socket.write(k === perBatch ? batch : batch.subarray(0, k * one.length)))
          await drain();
      }
    } else {
      for (let i = 0; i < n; i++) if (!socket.write(one)) await drain();
    }
    await reached;
    return (n * 1000) / (performance.now() - t0);
  };
  for (const [name, batched] of [
    ["raw socket, one write() per message", false],
    ["raw socket, 64 KiB batched writes", true],
  ] as const) {
    const n = await calibrate((k) => measure(k, batched), WARMUP.ceiling);
    counts[`ceiling/${batched ? "batched" : "per-write"}`] = n;
    const samples: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      gc();
      samples.push(await measure(n, batched));
    }
    const s = summarize(samples);
    ceilings.push({ name, value: s });
    log(`  ceiling, ${name}: ${si(s.median)} msg/s ${spread(s)}`);
  }
  socket.destroy();
}

/** Heap per idle connection: one fresh process per library and round. */
async function heapMetric(port: number, broker: string): Promise<void> {
  if (!want("heap")) return;
  const libs = (["ours", "mqttjs"] as LibName[]).filter(wantLib);
  const samples = new Map<LibName, number[]>(libs.map((l) => [l, []]));
  const details: Record<string, unknown>[] = [];
  const heapRounds = Math.min(ROUNDS, 3);
  for (let r = 0; r < heapRounds; r++) {
    for (const lib of r % 2 === 0 ? libs : [...libs].reverse()) {
      // async: a blocked parent would stop draining mosquitto's log pipe, and mosquitto would stall
      const out = await run(
        process.execPath,
        [
          "--expose-gc",
          ...CHILD_ARGS,
          path.join(HERE, "heap.ts"),
          lib,
          String(port),
          String(HEAP_CLIENTS),
        ],
        { UMQTT_BENCH_OURS: oursUrl },
      );
      const line = JSON.parse(out.trim().split("\n").pop() as string) as { total: number };
      details.push(line);
      samples.get(lib)?.push(line.total);
    }
  }
  const ours = samples.get("ours")?.length ? summarize(samples.get("ours") as number[]) : undefined;
  const theirs = samples.get("mqttjs")?.length
    ? summarize(samples.get("mqttjs") as number[])
    : undefined;
  results.push({
    key: "heap",
    metric: `heap per idle connection (${HEAP_CLIENTS} clients, heapUsed + arrayBuffers)`,
    broker,
    unit: "bytes",
    ours,
    theirs,
    target: "≤ 0.3×",
    goal: { op: "<=", value: 0.3 },
    ratio: pairedRatio(samples.get("ours") ?? [], samples.get("mqttjs") ?? []),
  });
  heapDetails.push(...details);
  log(
    `  heap/connection: ours ${ours ? Math.round(ours.median) : "-"} B, MQTT.js ${theirs ? Math.round(theirs.median) : "-"} B`,
  );
}
const heapDetails: Record<string, unknown>[] = [];

/** Cold import: a fresh `node` per sample, timing `await import()` of the built entry. */
async function importMetric(): Promise<void> {
  if (!want("import")) return;
  const ours = pathToFileURL(path.join(OURS_ROOT, "packages/simple/dist/index.js")).href;
  const theirs = pathToFileURL(createRequire(path.join(ROOT, "package.json")).resolve("mqtt")).href;
  const script =
    "const t = performance.now(); await import(process.env.UMQTT_IMPORT); process.stdout.write(String(performance.now() - t));";
  const once = async (url: string) =>
    Number(
      await run(process.execPath, ["--input-type=module", "-e", script], {
        UMQTT_IMPORT: url,
        NODE_OPTIONS: "",
      }),
    );
  await once(ours);
  await once(theirs); // warm the OS file cache
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < IMPORTS; i++) {
    if (i % 2 === 0) {
      a.push(await once(ours));
      b.push(await once(theirs));
    } else {
      b.push(await once(theirs));
      a.push(await once(ours));
    }
  }
  const so = summarize(a);
  const st = summarize(b);
  results.push({
    key: "import",
    metric: "cold import (ms, fresh node, built ESM entry)",
    broker: "-",
    unit: "ms",
    ours: so,
    theirs: st,
    target: "≤ 0.5×",
    goal: { op: "<=", value: 0.5 },
    ratio: pairedRatio(a, b),
  });
  log(
    `  cold import: ours ${so.median.toFixed(1)} ms ${spread(so)}, MQTT.js ${st.median.toFixed(1)} ms ${spread(st)}`,
  );
}

const sizes: { name: string; minified: number; gzip: number }[] = [];

/** Minified + gzip -9 bundle of each library's node entry (node built-ins external). */
async function bundleMetric(): Promise<void> {
  if (!want("bundle")) return;
  const entries = [
    ["@umqtt/simple + @umqtt/codec", path.join(OURS_ROOT, "packages/simple/dist/index.js")],
    ["MQTT.js 5.16.0 (all deps)", createRequire(path.join(ROOT, "package.json")).resolve("mqtt")],
  ] as const;
  for (const [name, entry] of entries) {
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["node:*"],
      write: false,
      logLevel: "silent",
    });
    const code = out.outputFiles[0].contents;
    sizes.push({ name, minified: code.length, gzip: gzipSync(code, { level: 9 }).length });
  }
  const [o, t] = sizes;
  results.push({
    key: "bundle",
    metric: "bundle, minified + gzip -9 (bytes)",
    broker: "-",
    unit: "bytes",
    ours: summarize([o.gzip]),
    theirs: summarize([t.gzip]),
    target: "≤ 6 KiB",
  });
  log(
    `  bundle: ours ${o.gzip} B gz (${o.minified} min), MQTT.js ${t.gzip} B gz (${t.minified} min)`,
  );
}

// ---------------------------------------------------------------------------------------

/** Runs a command; resolves to its stdout (stderr passes through). */
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: "utf8", env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 1 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
    child.stderr?.pipe(process.stderr);
  });
}

function fdLimit(): number {
  try {
    const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return out === "unlimited" ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return 0;
  }
}

function fmt(p: Pair, s: Summary | undefined): string {
  if (!s) return "-";
  if (p.unit === "msg/s") return `${si(s.median)} ${spread(s)}`;
  if (p.unit === "ms") return `${s.median.toFixed(1)} ms ${spread(s)}`;
  return `${Math.round(s.median)} B ${s.samples.length > 1 ? spread(s) : ""}`.trim();
}

/** The pair's ratio: paired per-round median when available, else ratio of medians. */
function pairRatio(p: Pair): number {
  if (p.ratio !== undefined && Number.isFinite(p.ratio)) return p.ratio;
  return p.ours && p.theirs ? p.ours.median / p.theirs.median : Number.NaN;
}

function verdict(p: Pair): string {
  if (!p.ours || !p.theirs) return "";
  if (p.key === "bundle") return p.ours.median <= 6144 ? "met" : "NOT met";
  if (!p.goal) return "";
  const r = pairRatio(p);
  return (p.goal.op === ">=" ? r >= p.goal.value : r <= p.goal.value) ? "met" : "NOT met";
}

async function main(): Promise<void> {
  const started = performance.now();
  const m = machine();
  log(
    `client bench: @umqtt/simple vs MQTT.js 5.16.0 — node ${m.node}, ${m.cpus} CPUs (${m.model}); ${ROUNDS} rounds, payload ${PAYLOAD.length} B`,
  );
  ensureBuilt(log);
  oursUrl = await bundled("simple");
  ({ MQTTClient } = (await import(oursUrl)) as typeof import("@umqtt/simple"));
  assertUntransformed(MQTTClient.prototype.connect, "@umqtt/simple");
  if (want("bundle")) await bundleMetric();
  if (want("import")) await importMetric();

  let sink: Sink | undefined;
  if (
    wantBroker("sink") &&
    (want("qos0") ||
      want("qos1") ||
      want("qos1w64") ||
      want("qos2w64") ||
      want("recv") ||
      want("ceiling"))
  ) {
    sink = await startSinkProcess();
    log(`sink on 127.0.0.1:${sink.port} (pid ${sink.child.proc.pid})`);
    await publishMetrics("sink", sink.port, sink);
    await receiveMetric("sink", sink.port, sink);
    await ceilingMetrics(sink);
  }

  const limit = fdLimit();
  let mosq: Mosquitto | undefined;
  const needMosquitto =
    wantBroker("mosquitto") &&
    (want("qos0") ||
      want("qos1") ||
      want("qos1w64") ||
      want("qos2w64") ||
      want("recv") ||
      want("heap"));
  if (needMosquitto) {
    // max_inflight_messages 64: mosquitto 2.0.11 also takes it as the limit of inbound QoS 2
    // publishes awaiting PUBREL (default 20); past it, with max_queued_messages 0, it drops the
    // connection. Only QoS 1/2 deliveries to subscribers are also affected: none here.
    mosq = await startMosquitto({
      extraConfig: "max_connections -1\nmax_queued_messages 0\nmax_inflight_messages 64",
    });
    log(`mosquitto on ${mosq.url} (pid ${mosq.pid}); ulimit -n = ${limit}`);
    await publishMetrics("mosquitto", mosq.port);
    await receiveMetric("mosquitto", mosq.port);
    if (limit >= HEAP_CLIENTS * 2 + 100) await heapMetric(mosq.port, "mosquitto");
    else {
      log(`ulimit -n ${limit} is too low for ${HEAP_CLIENTS} clients on mosquitto: using the sink`);
      sink ??= await startSinkProcess();
      await heapMetric(sink.port, "sink (fd limit)");
    }
    await mosq.stop();
  } else if (want("heap")) {
    sink ??= await startSinkProcess();
    await heapMetric(sink.port, "sink");
  }
  await sink?.child.stop();

  // ---- report ----
  const rows = results.map((p) => [
    p.metric,
    p.broker,
    fmt(p, p.ours),
    fmt(p, p.theirs),
    p.ours && p.theirs ? ratio(pairRatio(p), 1) : "-",
    p.target ?? "",
    verdict(p),
  ]);
  console.log(
    `\n@umqtt/simple vs MQTT.js 5.16.0 (median of ${ROUNDS} rounds ± half the min–max range)\n`,
  );
  console.log(table(["metric", "broker", "ours", "MQTT.js", "ours / MQTT.js", "target", ""], rows));
  if (ceilings.length) {
    const q0 = results.find((p) => p.key === "qos0" && p.broker === "sink");
    const crow = ceilings.map((c) => [
      c.name,
      `${si(c.value.median)} ${spread(c.value)}`,
      q0?.ours ? ratio(q0.ours.median, c.value.median) : "-",
      q0?.theirs ? ratio(q0.theirs.median, c.value.median) : "-",
    ]);
    console.log("\nceiling of this machine: QoS 0 to the sink, same pre-encoded PUBLISH bytes\n");
    console.log(
      table(["raw sender", "msg/s", "ours QoS 0 / ceiling", "MQTT.js QoS 0 / ceiling"], crow),
    );
  }
  if (sizes.length) {
    console.log("\nbundle (esbuild --bundle --minify --platform=node, node:* external; gzip -9)\n");
    console.log(
      table(
        ["bundle", "minified B", "gzip B"],
        sizes.map((s) => [s.name, String(s.minified), String(s.gzip)]),
      ),
    );
  }
  const secs = printFooter(started, m);
  if (JSON_OUT) {
    printJson("client", m, ROUNDS, {
      payloadBytes: PAYLOAD.length,
      roundSeconds: ROUND_SECONDS,
      counts,
      results,
      ceilings,
      sizes,
      heap: heapDetails,
      seconds: secs,
    });
  }
}

await main();
process.exit(0);
