/**
 * MQTT 5 end to end: @umqtt/simple with `protocolVersion: 5` against MQTT.js 5 with
 * `protocolVersion: 5`, through mosquitto, in the same run; our own MQTT 3.1.1 client runs in
 * the same rounds as a baseline (what MQTT 5 costs us).
 *
 * Topic aliases on and off: mosquitto 2.0 offers a Topic Alias Maximum in every v5 CONNACK
 * (`max_topic_alias`, default 10), so "on" is a broker with the default and "off" one started
 * with `max_topic_alias 0` (its CONNACK then has no Topic Alias Maximum). Both run side by side
 * and every contestant (library × broker) takes part in every round, so the on/off ratios are
 * paired like the library ratios. Our client uses aliases by itself when offered; MQTT.js only
 * with `autoAssignTopicAlias: true`, which it gets on both brokers. mosquitto never sends
 * aliases to subscribers, so the receive row runs once, on the "on" broker.
 *
 *   pnpm bench:v5 [--json] [--only=qos0,qos1w64,recv] [--lib=ours5,mqttjs5,ours4]
 *
 * Env: UMQTT_BENCH_SCALE, UMQTT_BENCH_ROUNDS (default 5), UMQTT_BENCH_PAYLOAD (default 16 B).
 */

import { gc, startMosquitto } from "@umqtt/testkit";
import { flag, JSON_OUT } from "./args.ts";
import { assertUntransformed, bundled, ensureBuilt } from "./built.ts";
import { calibrate } from "./calibrate.ts";
import { floodRound, startFlood } from "./flood-round.ts";
import { connectMqttjs } from "./mqttjs.ts";
import { publishLoop } from "./publish-loop.ts";
import { printFooter, printJson } from "./report.ts";
import { machine, pairedRatio, ratio, rounds, si, spread, summarize, table } from "./stats.ts";
import { type Subscriber, subscribeMqttjs, subscribeOurs } from "./subscriber.ts";

const ROUNDS = rounds(5);
const PAYLOAD = Buffer.alloc(Number(process.env.UMQTT_BENCH_PAYLOAD ?? 16), 0x61);
const TOPIC = "bench/umqtt/v5/sensors/kitchen/temperature";
const WARMUP = { qos0: 20_000, qos1w64: 10_000, recv: 20_000 };

const ONLY = flag("only");
const want = (metric: string) => !ONLY || ONLY.includes(metric);

const LIBS = ["ours5", "mqttjs5", "ours4"] as const;
type Lib = (typeof LIBS)[number];
const chosen = flag("lib");
const libs = LIBS.filter((l) => !chosen || chosen.includes(l));

const log = (s: string) => process.stderr.write(`${s}\n`);

let MQTTClient: typeof import("@umqtt/simple")["MQTTClient"];
let ids = 0;
const clientId = (lib: Lib) => `bench-${lib}-${process.pid}-${++ids}`;

interface Pub {
  publish(qos: 0 | 1): Promise<unknown>;
  close(): Promise<void>;
  /** Whether the connection uses outbound topic aliases (the server offered them). */
  aliases: boolean;
}

async function connectPub(lib: Lib, port: number): Promise<Pub> {
  if (lib !== "mqttjs5") {
    const v5 = lib === "ours5";
    const c = new MQTTClient(clientId(lib), "127.0.0.1", {
      port,
      keepalive: 60,
      maxInflight: 64,
      ...(v5 ? { protocolVersion: 5 as const } : {}),
    });
    await c.connect();
    return {
      publish: (qos) => c.publish(TOPIC, PAYLOAD, false, qos),
      close: () => c.disconnect(),
      aliases: v5 && (c.connackProperties?.topicAliasMaximum ?? 0) > 0,
    };
  }
  const c = await connectMqttjs(`mqtt://127.0.0.1:${port}`, clientId(lib), 5, {
    autoAssignTopicAlias: true,
  });
  return {
    publish: (qos) => c.publishAsync(TOPIC, PAYLOAD, { qos }),
    close: () => c.endAsync(),
    // MQTT.js keeps the server's Topic Alias Maximum only in this private field.
    aliases: ((c as unknown as { topicAliasSend?: { max: number } }).topicAliasSend?.max ?? 0) > 0,
  };
}

interface Row {
  key: string;
  metric: string;
  /** Per contestant ("ours5:on", "mqttjs5:off", …): msg/s of each round. */
  samples: Record<string, number[]>;
  /** Per contestant: whether its connection used topic aliases. */
  aliases: Record<string, boolean>;
}
const rows: Row[] = [];
const counts: Record<string, number> = {};

type Runner = {
  round: (n: number) => Promise<number>;
  close: () => Promise<void>;
  aliases?: boolean;
};

/**
 * Every contestant: calibration, then ROUNDS rounds with the order rotated each round, so
 * every ratio (libraries, aliases on/off) is of rounds run back to back under the same load.
 */
async function contest(
  key: string,
  metric: string,
  names: string[],
  first: number,
  setup: (name: string) => Promise<Runner>,
): Promise<void> {
  const runners = new Map<string, Runner>();
  for (const name of names) runners.set(name, await setup(name));
  const sizes = new Map<string, number>();
  for (const name of names) {
    const n = await calibrate((runners.get(name) as Runner).round, first);
    sizes.set(name, n);
    counts[`${key}/${name}`] = n;
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length] as string);
    for (const name of order) {
      gc();
      samples[name]?.push(await (runners.get(name) as Runner).round(sizes.get(name) as number));
    }
  }
  const aliases: Record<string, boolean> = {};
  for (const name of names) {
    const runner = runners.get(name) as Runner;
    if (runner.aliases !== undefined) aliases[name] = runner.aliases;
    await runner.close();
  }
  rows.push({ key, metric, samples, aliases });
  log(
    `  ${metric}: ${names.map((n) => `${n} ${si(summarize(samples[n] ?? []).median)} ${spread(summarize(samples[n] ?? []))}`).join(", ")}`,
  );
}

/** Contestants "lib:on" / "lib:off" (the broker offering aliases or not); ours4 on "on" only. */
function publishContestants(): string[] {
  const out: string[] = [];
  for (const lib of libs) {
    out.push(`${lib}:on`);
    if (lib !== "ours4") out.push(`${lib}:off`);
  }
  return out;
}

async function publishMetrics(ports: { on: number; off: number }): Promise<void> {
  const setupFor = (qos: 0 | 1, window: number) => async (name: string) => {
    const [lib, side] = name.split(":") as [Lib, "on" | "off"];
    const pub = await connectPub(lib, ports[side]);
    return {
      aliases: lib === "ours4" ? undefined : pub.aliases,
      round: async (n: number) => {
        const t0 = performance.now();
        await publishLoop(pub, n, qos, window);
        if (qos === 0) await pub.publish(1); // the broker read everything before this PUBACK
        return (n * 1000) / (performance.now() - t0);
      },
      close: () => pub.close(),
    };
  };
  const names = publishContestants();
  if (want("qos0"))
    await contest("qos0", "QoS 0 publish, each awaited", names, WARMUP.qos0, setupFor(0, 1));
  if (want("qos1w64"))
    await contest("qos1w64", "QoS 1 publish, 64 in flight", names, WARMUP.qos1w64, setupFor(1, 64));
}

/** A raw publisher process (flood.ts, MQTT 3.1.1) floods mosquitto; the subscriber is measured. */
async function receiveMetric(port: number): Promise<void> {
  if (!want("recv")) return;
  const flood = await startFlood(port);
  const names = [...libs];
  await contest("recv", "receive (QoS 0 flood via mosquitto)", names, WARMUP.recv, async (name) => {
    const lib = name as Lib;
    const topic = `bench/rx5/${lib}/${process.pid}`;
    let sub: Subscriber;
    if (lib !== "mqttjs5") {
      const c = new MQTTClient(clientId(lib), "127.0.0.1", {
        port,
        keepalive: 60,
        ...(lib === "ours5" ? { protocolVersion: 5 as const } : {}),
      });
      await c.connect();
      sub = await subscribeOurs(c, topic, 0);
    } else {
      const c = await connectMqttjs(`mqtt://127.0.0.1:${port}`, clientId(lib), 5);
      sub = await subscribeMqttjs(c, topic, 0);
    }
    const round = floodRound(flood, { topic, size: PAYLOAD.length }, sub.consume, lib);
    return { round, close: sub.close };
  });
  await flood.stop();
}

function cell(row: Row, name: string): string {
  const x = row.samples[name];
  if (!x?.length) return "-";
  const s = summarize(x);
  const alias = row.aliases[name];
  return `${si(s.median)} ${spread(s)}${alias ? " (alias)" : ""}`;
}

/** Median of the per-round ratios a / b. */
function pairOf(row: Row, a: string, b: string): string {
  const x = row.samples[a];
  const y = row.samples[b];
  return x?.length && y?.length ? ratio(pairedRatio(x, y), 1) : "-";
}

async function main(): Promise<void> {
  const started = performance.now();
  const m = machine();
  log(
    `v5 bench: @umqtt/simple (MQTT 5) vs MQTT.js 5.16.0 (MQTT 5) via mosquitto — node ${m.node}, ${m.cpus} CPUs; ${ROUNDS} rounds, payload ${PAYLOAD.length} B, topic ${TOPIC.length} B`,
  );
  ensureBuilt(log);
  const url = await bundled("simple");
  ({ MQTTClient } = (await import(url)) as typeof import("@umqtt/simple"));
  assertUntransformed(MQTTClient.prototype.connect, "@umqtt/simple");

  const base = "max_connections -1\nmax_queued_messages 0";
  const on = await startMosquitto({ extraConfig: `${base}\nmax_topic_alias 10` });
  const off = await startMosquitto({ extraConfig: `${base}\nmax_topic_alias 0` });
  log(`mosquitto, aliases on: ${on.url} (pid ${on.pid}); aliases off: ${off.url} (pid ${off.pid})`);
  await publishMetrics({ on: on.port, off: off.port });
  await receiveMetric(on.port);
  await off.stop();
  await on.stop();

  const label: Record<string, string> = {
    "ours5:on": "ours v5, aliases on",
    "ours5:off": "ours v5, aliases off",
    "mqttjs5:on": "MQTT.js v5, aliases on",
    "mqttjs5:off": "MQTT.js v5, aliases off",
    "ours4:on": "ours 3.1.1",
    ours5: "ours v5",
    mqttjs5: "MQTT.js v5",
    ours4: "ours 3.1.1",
  };
  console.log(
    `\n@umqtt/simple MQTT 5 vs MQTT.js 5.16.0 MQTT 5 through mosquitto 2.0 (msg/s, median of ${ROUNDS} rounds ± half the min–max range; "(alias)": the connection used topic aliases)\n`,
  );
  const lines: string[][] = [];
  for (const r of rows) {
    for (const name of Object.keys(r.samples))
      lines.push([r.metric, label[name] ?? name, cell(r, name)]);
  }
  console.log(table(["metric", "client", "msg/s"], lines));
  const ratios: [string, string, string][] = [
    ["ours v5 / MQTT.js v5, aliases on", "ours5:on", "mqttjs5:on"],
    ["ours v5 / MQTT.js v5, aliases off", "ours5:off", "mqttjs5:off"],
    ["ours v5: aliases on / off", "ours5:on", "ours5:off"],
    ["MQTT.js v5: aliases on / off", "mqttjs5:on", "mqttjs5:off"],
    ["ours v5 (aliases off) / ours 3.1.1", "ours5:off", "ours4:on"],
    ["ours v5 / MQTT.js v5", "ours5", "mqttjs5"],
    ["ours v5 / ours 3.1.1", "ours5", "ours4"],
  ];
  const body: string[][] = [];
  for (const r of rows) {
    for (const [what, a, b] of ratios) {
      if (r.samples[a]?.length && r.samples[b]?.length)
        body.push([r.metric, what, pairOf(r, a, b)]);
    }
  }
  console.log("\nratios (median of the per-round ratios)\n");
  console.log(table(["metric", "ratio", "value"], body));
  const secs = printFooter(started, m);
  if (JSON_OUT) {
    printJson("v5", m, ROUNDS, {
      payloadBytes: PAYLOAD.length,
      topic: TOPIC,
      counts,
      rows,
      seconds: secs,
    });
  }
}

await main();
process.exit(0);
